#if canImport(Glibc)
  import Glibc
#endif

extension Mapping {
  /// Maps a file: a regular file, a `/dev/shm` file, a sysfs `resourceN[_wc]` file, or a
  /// `/dev/mem` window. `size` defaults to the file's size minus `offset` (character devices
  /// such as `/dev/mem` have no size, so there it is required). With `writable` false the
  /// file is opened and mapped read-only, so a file the user may only read can be mapped.
  public static func mapFile(
    path: String, offset: UInt64 = 0, size: UInt64? = nil, method: Method = .file,
    description: Description? = nil, writable: Bool = true
  ) throws -> Mapping {
    var st = stat()
    if stat(path, &st) != 0 {
      let e = errno
      throw SystemError(
        "stat", path: path, errno: e,
        hint: e == ENOENT ? "check the path (no such file)" : nil)
    }
    let kind = st.st_mode & S_IFMT
    if kind == S_IFDIR {
      throw MappingError.directory(path: path)
    }
    guard kind == S_IFREG || kind == S_IFCHR || kind == S_IFBLK else {
      throw MappingError.notMappableFile(path: path)
    }
    let fileSize = UInt64(max(0, st.st_size))
    let length: UInt64
    if let size {
      length = size
      if kind == S_IFREG, offset > fileSize || size > fileSize - offset {
        throw MappingError.beyondFile(path: path, offset: offset, size: size, fileSize: fileSize)
      }
    } else if kind == S_IFCHR || kind == S_IFBLK {
      throw MappingError.deviceFileWithoutSize(path: path)
    } else {
      if fileSize == 0 {
        throw MappingError.emptyFile(path: path)
      }
      if offset >= fileSize {
        throw MappingError.offsetPastEnd(path: path, offset: offset, fileSize: fileSize)
      }
      length = fileSize - offset
    }
    if length == 0 {
      throw MappingError.zeroSize(path: path)
    }
    let info = description ?? Description(method: method, path: path)
    let fd: FileDescriptor
    do {
      fd = try FileDescriptor.open(path, flags: (writable ? O_RDWR : O_RDONLY) | O_SYNC)
    } catch let error as SystemError {
      throw Mapping.explained(error, info, writable: writable)
    }
    defer { fd.close() }
    return try Mapping(
      fd: fd.rawValue, offset: offset, size: length, info: info, writable: writable)
  }
}
