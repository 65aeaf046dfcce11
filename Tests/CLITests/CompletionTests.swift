import Foundation
import TestSupport
import XCTest

/// The bash completion (completion/barlua.bash), driven as bash drives it: bash-completion
/// loaded, COMP_LINE split into COMP_WORDS at COMP_WORDBREAKS (':' too), COMP_CWORD the last.
final class CompletionTests: XCTestCase {
  static var repo: String { Barlua.repository }

  /// A sysfs tree: two devices bound to vfio-pci, one to virtio-pci, one with no driver.
  static let sysfs: String = {
    let d = Barlua.tempDir()
    let fm = FileManager.default
    for (addr, driver) in [
      ("0000:00:01.0", "vfio-pci"), ("0000:00:02.0", "virtio-pci"), ("0000:03:00.0", "vfio-pci"),
      ("0000:04:00.0", ""),
    ] {
      try? fm.createDirectory(atPath: "\(d)/devices/\(addr)", withIntermediateDirectories: true)
      if !driver.isEmpty {
        try? fm.createDirectory(atPath: "\(d)/drivers/\(driver)", withIntermediateDirectories: true)
        try? fm.createSymbolicLink(
          atPath: "\(d)/devices/\(addr)/driver", withDestinationPath: "../../drivers/\(driver)")
      }
    }
    return "\(d)/devices"
  }()

  /// The completions bash offers for `line` (the cursor at its end).
  func complete(_ line: String, sysfs: String = sysfs, in directory: String? = nil) throws -> [String] {
    let script = """
      . /usr/share/bash-completion/bash_completion
      . "$REPO/completion/barlua.bash"
      COMP_LINE=$LINE COMP_POINT=${#LINE}
      read -ra COMP_WORDS <<<"${LINE//:/ : }"
      [[ $LINE == *' ' ]] && COMP_WORDS+=('')
      COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
      fn=$(complete -p "${COMP_WORDS[0]}" | sed 's/.*-F \\([^ ]*\\).*/\\1/')
      "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
      printf '%s\\n' "${COMPREPLY[@]}"
      """
    let r = try ChildProcess.run(
      "/bin/bash", ["-c", script],
      environment: ["PATH": "/usr/bin:/bin", "REPO": Self.repo, "LINE": line, "BARLUA_SYSFS_PCI": sysfs],
      directory: directory)
    XCTAssertEqual(r.status, 0, r.err)
    return r.out.split(separator: "\n").map(String.init).sorted()
  }

  func testBarluaOptions() throws {
    XCTAssertEqual(try complete("barlua --v"), ["--version"])
    XCTAssertEqual(try complete("barlua -"), ["-", "--", "--help", "--version", "-E", "-W", "-e", "-i", "-l", "-v"])
    XCTAssertEqual(try complete("barlua -e "), [])
  }

  func testDeviceCompletesAddressesBoundToVfioPci() throws {
    XCTAssertEqual(try complete("barlua-persistence --device "), ["0000:00:01.0", "0000:03:00.0"])
    // After a colon bash replaces only the part after the last colon.
    XCTAssertEqual(try complete("barlua-pat-trace --device 0000:0"), ["00:01.0", "03:00.0"])
    XCTAssertEqual(try complete("barlua \(Self.repo)/scripts/bar_timing.lua --device 0000:03:"), ["00.0"])
  }

  func testBarAndMethods() throws {
    XCTAssertEqual(try complete("barlua-bar-timing --bar "), ["0", "1", "2", "3", "4", "5"])
    XCTAssertEqual(try complete("barlua-persistence --method sysfs"), ["sysfs", "sysfs-wc"])
    XCTAssertEqual(try complete("barlua-bar-timing --methods vfio,sysfs-wc"), ["vfio,sysfs-wc", "vfio,sysfs-wc-flush"])
  }

  /// Each script's options, in a checkout and as a command, are exactly those of its --help.
  func testScriptOptionsMatchTheirHelp() throws {
    for (script, command) in [
      ("persistence", "barlua-persistence"), ("dump_info", "barlua-dump-info"), ("pat_trace", "barlua-pat-trace"),
      ("bar_timing", "barlua-bar-timing"), ("regs", "barlua-regs"), ("reload", "barlua-reload"),
      ("doctor", "barlua-doctor"),
    ] {
      let help = try Barlua.run(["\(Self.repo)/scripts/\(script).lua", "--help"]).out
      let regex = try NSRegularExpression(pattern: "(?<![\\w-])(--?[a-z][a-z-]*)")
      let inHelp = Set(
        regex.matches(in: help, range: NSRange(help.startIndex..., in: help)).map {
          String(help[Range($0.range(at: 1), in: help)!])
        }
      ).filter { opt in help.contains("   \(opt)") || help.contains(", \(opt)") }
      let offered = Set(try complete("\(command) -"))
      XCTAssertEqual(offered, inHelp, script)
      XCTAssertEqual(Set(try complete("barlua scripts/\(script).lua -")), offered, script)
    }
  }

  /// Device names are text from the system (a BARLUA_SYSFS_PCI tree anyone may have made):
  /// completing them must run nothing. compgen -W expands its word list, so a folder named
  /// `$(touch${IFS}X)` once ran `touch X` on Tab. Only PCI addresses are offered.
  func testHostileDeviceNamesRunNothing() throws {
    let d = Barlua.tempDir()
    let fm = FileManager.default
    try fm.createDirectory(atPath: "\(d)/drivers/vfio-pci", withIntermediateDirectories: true)
    let names = [
      "0000:00:01.0", "$(touch${IFS}X1)", "`touch X2`", "0000:00:02.0$(touch${IFS}X3)", "${IFS}$(touch X4)",
      "0000:00:03.0;touch X5", "0000:00:04.0\ntouch X6", "0000:00:05.0 0000:00:06.0", "*", "0000:0?:0[0-9].[0-7]",
    ]
    for name in names {
      try fm.createDirectory(atPath: "\(d)/devices/\(name)", withIntermediateDirectories: true)
      try fm.createSymbolicLink(atPath: "\(d)/devices/\(name)/driver", withDestinationPath: "../../drivers/vfio-pci")
    }
    let cwd = Barlua.tempDir()
    for line in ["barlua-persistence --device ", "barlua-persistence --device 0000:0", "barlua-regs --device $"] {
      let offered = try complete(line, sysfs: "\(d)/devices", in: cwd)
      XCTAssertTrue(offered.allSatisfy { $0 == "0000:00:01.0" || $0 == "00:01.0" }, "\(line): \(offered)")
    }
    XCTAssertEqual(try complete("barlua-persistence --device ", sysfs: "\(d)/devices", in: cwd), ["0000:00:01.0"])
    XCTAssertEqual(try fm.contentsOfDirectory(atPath: cwd), [], "completion ran a command named in sysfs")
  }
}
