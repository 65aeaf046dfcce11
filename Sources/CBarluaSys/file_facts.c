// Facts about files for error messages. See barlua_file_facts.h.
#include "barlua_file_facts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

_Static_assert(BARLUA_INODE_IMMUTABLE == FS_IMMUTABLE_FL, "FS_IMMUTABLE_FL");
_Static_assert(BARLUA_INODE_APPEND == FS_APPEND_FL, "FS_APPEND_FL");

long barlua_inode_flags(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -1;
  int flags = 0;  // the kernel reads and writes an int, whatever _IOR's "long" says
  int r = ioctl(fd, FS_IOC_GETFLAGS, &flags);
  close(fd);
  return r == 0 ? (long)(unsigned)flags : -1;
}

long barlua_count_lines(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[4096];
  long lines = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return n == 0 ? lines : -1;
    }
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++) lines++;
  }
}
