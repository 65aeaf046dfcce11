import Foundation

/// A child process run to its end: its exit status and what it printed. The test targets run
/// barlua, python3, bash and chattr through this one helper.
public struct ChildProcess: Sendable {
  public var status: Int32
  public var out: String
  public var err: String

  public init(status: Int32, out: String, err: String) {
    (self.status, self.out, self.err) = (status, out, err)
  }

  /// Runs `executable` with `arguments` and waits for it. `stdin`, when given, is written to a
  /// pipe that is then closed (so the child sees no terminal); nil leaves the test's own.
  /// `environment`, when given, replaces the environment; `directory` is the working folder.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
    stdin: String? = nil, directory: String? = nil
  ) throws -> ChildProcess {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let input = Pipe()
    if stdin != nil { p.standardInput = input }
    let out = Pipe()
    p.standardOutput = out
    // stderr goes to a file: two pipes would need two readers (a child filling the one not
    // being read would block forever).
    let errPath = NSTemporaryDirectory() + "barlua-child-err-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    p.standardError = err
    try p.run()
    try err.close()
    if let stdin {
      input.fileHandleForWriting.write(Data(stdin.utf8))
      try input.fileHandleForWriting.close()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let e = FileManager.default.contents(atPath: errPath) ?? Data()
    return ChildProcess(
      status: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
      err: String(decoding: e, as: UTF8.self))
  }
}
