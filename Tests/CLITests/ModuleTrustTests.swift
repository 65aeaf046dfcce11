import Foundation
import XCTest

/// The trust rule of barlua's module search (docs/scripts.md, "Where require looks"): barlua
/// runs as root, so `require` loads no file that another local user could have planted or
/// replaced. Each test builds the layout an attacker would create under /tmp.
final class ModuleTrustTests: XCTestCase {
  static let nobody: uid_t = 65534

  override func setUpWithError() throws {
    // chown to another user needs root; barlua's users run it as root and so does CI.
    XCTAssertEqual(geteuid(), 0, "these tests create files owned by another user: run them as root")
  }

  /// A copy of the barlua binary at `path` (as a user or a package would place it).
  func copyBinary(to path: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Barlua.path, toPath: path)
  }

  func mkdir(_ path: String, mode: mode_t = 0o755, owner: uid_t = 0) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    XCTAssertEqual(chmod(path, mode), 0)
    XCTAssertEqual(chown(path, owner, 0), 0)
  }

  func module(_ path: String, _ text: String, owner: uid_t = 0) {
    Barlua.write(text, to: path)
    XCTAssertEqual(chown(path, owner, 0), 0)
  }

  /// Runs `exe` (default: the build) with a 20 s limit (a FIFO would block an open forever).
  func run(
    _ args: [String], exe: String = Barlua.path, env: [String: String] = [:], in directory: String? = nil
  ) throws -> Barlua.Result {
    try Barlua.run(["20", exe] + args, env: env, name: "timeout", executable: "/usr/bin/timeout", in: directory)
  }

  /// Walking up from the binary found any folder holding Package.swift and scripts/lib: a
  /// user who creates /tmp/x/Package.swift and /tmp/x/scripts/lib/lxp.lua took over every
  /// regs.load of a barlua copied to /tmp/x/.build/.
  func testFolderAboveACopiedBinaryIsNotSearched() throws {
    let t = Barlua.tempDir()
    try copyBinary(to: "\(t)/.build/release/barlua")
    Barlua.write("// swift-tools-version:6.0", to: "\(t)/Package.swift")
    try mkdir("\(t)/scripts/lib")
    module("\(t)/scripts/lib/planted.lua", "return 'planted'")
    let r = try run(["-e", "print(require 'planted')"], exe: "\(t)/.build/release/barlua")
    XCTAssertEqual(r.status, 1, r.out)
    XCTAssertFalse(r.out.contains("planted"), r.out)
    XCTAssertTrue(r.err.contains("module 'planted' not found"), r.err)
    XCTAssertFalse(r.err.contains("\(t)/scripts/lib"), r.err)
  }

  /// The installed layout (PREFIX/bin/barlua, PREFIX/share/barlua/lib, as the Debian package
  /// installs it) is searched while root owns it, and refused, loudly, once another user does.
  func testInstalledFolderOnlyWhileTrusted() throws {
    let t = Barlua.tempDir()
    try copyBinary(to: "\(t)/bin/barlua")
    try mkdir("\(t)/share/barlua/lib")
    module("\(t)/share/barlua/lib/inst.lua", "return 'installed'")
    let ok = try run(["-e", "print((require 'inst'))"], exe: "\(t)/bin/barlua")
    XCTAssertEqual(ok.out, "installed\n", ok.err)
    XCTAssertEqual(chown("\(t)/share/barlua", Self.nobody, 0), 0)
    let r = try run(["-e", "print((require 'inst'))"], exe: "\(t)/bin/barlua")
    XCTAssertEqual(r.status, 1, r.out)
    XCTAssertEqual(r.out, "")
    let why = "'\(t)/share/barlua' is owned by another user (uid 65534)"
    XCTAssertTrue(
      r.err.hasPrefix("barlua: not loading module 'inst' from '\(t)/share/barlua/lib/inst.lua': \(why)"), r.err)
    XCTAssertTrue(r.err.contains("\n\tnot loaded '\(t)/share/barlua/lib/inst.lua': \(why)\n"), r.err)
  }

  /// The owner of the binary can change the program anyway: folders they own are trusted
  /// (a user's checkout, run with sudo).
  func testFoldersOfTheBinarysOwnerAreTrusted() throws {
    let t = Barlua.tempDir()
    try copyBinary(to: "\(t)/bin/barlua")
    XCTAssertEqual(chown("\(t)/bin/barlua", Self.nobody, 0), 0)
    try mkdir("\(t)/share/barlua/lib", owner: Self.nobody)
    module("\(t)/share/barlua/lib/inst.lua", "return 'installed'", owner: Self.nobody)
    let r = try run(["-e", "print((require 'inst'))"], exe: "\(t)/bin/barlua")
    XCTAssertEqual(r.out, "installed\n", r.err)
  }

  /// The script folder's ../lib: for /tmp/s/x.lua that is /tmp/lib, which anyone can create.
  func testScriptsParentLibOwnedByAnotherUser() throws {
    let t = Barlua.tempDir()
    try mkdir("\(t)/s")
    Barlua.write("print((require 'm'))", to: "\(t)/s/x.lua")
    try mkdir("\(t)/lib", owner: Self.nobody)
    module("\(t)/lib/m.lua", "return 'planted'", owner: Self.nobody)
    let r = try run(["\(t)/s/x.lua"])
    XCTAssertEqual(r.status, 1, r.out)
    XCTAssertTrue(r.err.contains("not loaded '\(t)/s/../lib/m.lua': '\(t)/lib/m.lua' is owned by another user"), r.err)
    // The same module owned by root in a folder root owns is found.
    XCTAssertEqual(chown("\(t)/lib", 0, 0), 0)
    XCTAssertEqual(chown("\(t)/lib/m.lua", 0, 0), 0)
    XCTAssertEqual(try run(["\(t)/s/x.lua"]).out, "planted\n")
  }

  /// BARLUA_PATH is the user's choice, and still under the rule: a folder anyone can write
  /// is refused with a warning; a sticky one (as /tmp) only serves files a trusted user owns.
  func testWorldWritableFolders() throws {
    let t = Barlua.tempDir()
    try mkdir("\(t)/open", mode: 0o777)
    module("\(t)/open/m.lua", "return 'open'")
    let r = try run(["-e", "print((require 'm'))"], env: ["BARLUA_PATH": "\(t)/open"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(
      r.err.hasPrefix(
        "barlua: not loading module 'm' from '\(t)/open/m.lua': '\(t)/open' is writable by everyone (mode 0777)"),
      r.err)
    try mkdir("\(t)/group", mode: 0o775)
    module("\(t)/group/m.lua", "return 'group'")
    let g = try run(["-e", "print((require 'm'))"], env: ["BARLUA_PATH": "\(t)/group"])
    XCTAssertTrue(g.err.contains("'\(t)/group' is writable by its group (mode 0775)"), g.err)
    try mkdir("\(t)/sticky", mode: 0o1777)
    module("\(t)/sticky/mine.lua", "return 'mine'")
    module("\(t)/sticky/theirs.lua", "return 'theirs'", owner: Self.nobody)
    let s = try run(["-e", "print((require 'mine')) print((require 'theirs'))"], env: ["BARLUA_PATH": "\(t)/sticky"])
    XCTAssertEqual(s.out, "mine\n")
    XCTAssertTrue(s.err.contains("'\(t)/sticky/theirs.lua' is owned by another user (uid 65534)"), s.err)
    // A file anyone may write is refused even in a trusted folder.
    try mkdir("\(t)/ok")
    module("\(t)/ok/m.lua", "return 'ok'")
    XCTAssertEqual(chmod("\(t)/ok/m.lua", 0o666), 0)
    let f = try run(["-e", "print((require 'm'))"], env: ["BARLUA_PATH": "\(t)/ok"])
    XCTAssertTrue(f.err.contains("'\(t)/ok/m.lua' is writable by everyone (mode 0666)"), f.err)
  }

  /// A symbolic link is judged by what it points to.
  func testSymlinkIntoAnUntrustedFolder() throws {
    let t = Barlua.tempDir()
    try mkdir("\(t)/theirs", owner: Self.nobody)
    module("\(t)/theirs/m.lua", "return 'theirs'", owner: Self.nobody)
    try mkdir("\(t)/mine")
    XCTAssertEqual(symlink("\(t)/theirs/m.lua", "\(t)/mine/m.lua"), 0)
    let r = try run(["-e", "print((require 'm'))"], env: ["BARLUA_PATH": "\(t)/mine"])
    XCTAssertEqual(r.status, 1, r.out)
    XCTAssertTrue(r.err.contains("'\(t)/theirs/m.lua' is owned by another user"), r.err)
  }

  /// A FIFO named like a module is refused, not opened (an open for reading would block).
  func testFifoIsRefusedWithoutBlocking() throws {
    let t = Barlua.tempDir()
    XCTAssertEqual(mkfifo("\(t)/f.lua", 0o644), 0)
    let r = try run(["-e", "require 'f'"], env: ["BARLUA_PATH": t])
    XCTAssertEqual(r.status, 1, "timeout(1) kills a blocked barlua with status 124")
    XCTAssertTrue(r.err.contains("not loaded '\(t)/f.lua': '\(t)/f.lua' is not a regular file"), r.err)
  }

  /// Item 13 of issue #22: a barlua with no module folder, no script and no BARLUA_PATH had
  /// Lua's `no file ''` in every failed require.
  func testNoPlaceNoEmptyFileName() throws {
    let t = Barlua.tempDir()
    try copyBinary(to: "\(t)/barlua")
    let r = try run(["-e", "require 'nothing_here'"], exe: "\(t)/barlua")
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(
      r.err.contains(
        "module 'nothing_here' not found:\n\tno field package.preload['nothing_here']\n\tno file '/usr/local/share/lua/5.4/nothing_here.lua'"
      ), r.err)
    XCTAssertFalse(r.err.contains("''"), r.err)
  }

  /// Lua's own package.path has `./?.lua`: root working in /tmp (sticky, world-writable)
  /// would load another user's /tmp/lxp.lua in place of lua-expat inside regs.load. Lua's
  /// searchers keep their order and messages but skip a file that fails the rule.
  func testLuaPathSkipsAPlantedFileInTheWorkingFolder() throws {
    let t = Barlua.tempDir()
    try mkdir("\(t)/work", mode: 0o1777)
    module("\(t)/work/lxp.lua", "PLANTED = true return {}", owner: Self.nobody)
    let r = try run(["-e", "local lxp = require 'lxp' print(PLANTED, type(lxp.new))"], in: "\(t)/work")
    XCTAssertEqual(r.out, "nil\tfunction\n", r.err)
    XCTAssertTrue(
      r.err.hasPrefix(
        "barlua: not loading module 'lxp' from './lxp.lua': '\(t)/work/lxp.lua' is owned by another user (uid 65534)"),
      r.err)
    // Not found anywhere else: the refused file is listed with Lua's own places.
    module("\(t)/work/only_here.lua", "return 1", owner: Self.nobody)
    let n = try run(["-e", "require 'only_here'"], in: "\(t)/work")
    XCTAssertEqual(n.status, 1)
    XCTAssertTrue(n.err.contains("\n\tnot loaded './only_here.lua': '\(t)/work/only_here.lua' is owned"), n.err)
    XCTAssertTrue(n.err.contains("\n\tno file '/usr/share/lua/5.4/only_here.lua'\n"), n.err)
    XCTAssertTrue(n.err.contains("\n\tno file './only_here.so'\n"), n.err)
    // A trusted file there still loads through package.path, as in lua.
    module("\(t)/work/mine.lua", "return 'mine'")
    XCTAssertEqual(try run(["-e", "print((require 'mine'))"], in: "\(t)/work").out, "mine\n")
  }
}
