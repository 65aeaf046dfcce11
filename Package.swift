// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "barlua",
  products: [
    .executable(name: "barlua", targets: ["barlua"]),
    .library(name: "BarluaCore", targets: ["BarluaCore"]),
  ],
  targets: [
    // Debian's liblua5.4 (pkg-config lua5.4), plus static-inline shims for Lua's macros.
    .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
    // C with no Lua: volatile accessors, the bus-error guard, VFIO ioctl numbers, and device
    // names from the system's pci.ids through libpci (libpci-dev's header; the library is
    // loaded with dlopen at the first name lookup, so a start-up does not pay for it).
    // -falign-loops=64: the bulk, exact-width and polling loops each start a 64-byte line, so
    // how fast they run does not hang on where the linker happens to place them (poll32's
    // four-instruction loop ran at half speed when an unrelated change moved it across a
    // line: 1.5 against 3.1 G reads/s).
    .target(name: "CBarluaSys", cSettings: [.unsafeFlags(["-falign-loops=64"])]),
    // The REPL's line editor: GNU readline (libreadline-dev) with completion; Ctrl-C and
    // SIGTERM through CBarluaSys's barlua_interrupt.h. readline is loaded with dlopen when the
    // REPL starts (readline_lazy.h), so a script does not pay for it.
    .target(name: "CLineEditor", dependencies: ["CBarluaSys"]),
    // C that talks to Lua: trampolines that raise, the bar userdata methods, embedded Lua modules.
    .target(
      name: "CBarlua", dependencies: ["CLua", "CBarluaSys"], exclude: ["lua"],
      // libexpat (Debian libexpat1-dev): barlua.xml_core builds IP-XACT trees in C.
      linkerSettings: [.linkedLibrary("expat")]),
    // Swift, no Lua: PCI discovery, VFIO, mappings, PAT parsing. Usable from any Swift program.
    .target(name: "BarluaCore", dependencies: ["CBarluaSys"]),
    // The Lua bindings over BarluaCore.
    .target(name: "BarluaLua", dependencies: ["BarluaCore", "CBarlua", "CLua"]),
    // The command line and the REPL.
    // Links libstdc++ statically (link/static-libstdc++: the Swift runtime's C++ library; as a
    // shared library, its symbol bindings were the largest cost of every start-up).
    .executableTarget(
      name: "barlua", dependencies: ["BarluaLua", "CLineEditor", "CLua"],
      linkerSettings: [
        .unsafeFlags(["-L", Context.packageDirectory + "/link/static-libstdc++"])
      ]),
    // What more than one test target needs: running a child process, read-only files.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "BarluaCoreTests", dependencies: ["BarluaCore", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "BarluaLuaTests", dependencies: ["BarluaLua", "CLua", "TestSupport"]),
    // Runs the built barlua binary: the command line, the REPL on a pseudo-terminal.
    .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
  ],
  // gnu2x: C23's #embed puts the shipped Lua modules into the binary; GNU for POSIX headers.
  cLanguageStandard: .gnu2x
)
