// Facts about files read to explain a failed call, in C so that they work when the process
// is out of mappings (no allocation): a file's inode flags (root gets EPERM writing an
// immutable or append-only file, and "run as root" would be wrong advice) and the number of
// lines of a /proc file (the mappings in /proc/self/maps, against vm.max_map_count).
#ifndef BARLUA_FILE_FACTS_H
#define BARLUA_FILE_FACTS_H

/// FS_IMMUTABLE_FL and FS_APPEND_FL of <linux/fs.h>, for Swift.
enum {
  BARLUA_INODE_IMMUTABLE = 0x10,
  BARLUA_INODE_APPEND = 0x20,
};

/// The flags FS_IOC_GETFLAGS reports for `path` (lsattr's letters), or -1 when they cannot
/// be read.
long barlua_inode_flags(const char *path);

/// The number of newline characters in the file at `path`, read through a stack buffer, or
/// -1 when it cannot be read.
long barlua_count_lines(const char *path);
#endif
