-- luacheck (Debian lua-check) over every Lua file of the repository, run by scripts/test.
std = "lua54"
max_line_length = 120
-- barlua's modules are globals in every script (as well as require "barlua.NAME").
read_globals = {"vfio", "pci", "pat", "time", "mmio"}
exclude_files = {".build/**"}
-- barlua.test replaces os.exit, io.stdout/io.stderr writers so a script's verdict is kept
-- whichever way it ends (docs/scripts.md, "Device test scripts").
files["scripts/lib/barlua/test.lua"] = {globals = {"os", "io"}}
-- board_filter wraps pci.devices and vfio.open once at start-up (board= and serial=).
files["scripts/lib/barlua/board_filter.lua"] = {globals = {"pci", "vfio"}}
-- The argument sweep stubs os.exit and silences io.stdout/io.stderr around each call.
files["Tests/fuzz/argument-sweep.lua"] = {globals = {"os", "io"}}
-- A name starting with "_" is unused on purpose (a <close> variable kept for its close).
ignore = {"21[123]/_.*"}
