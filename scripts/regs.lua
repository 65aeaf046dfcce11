#!/usr/bin/env barlua
-- regs.lua: the register table of an IP-XACT description (offset, width, access, fields), and
-- with --device ADDR --bar N (or --file PATH) the live value of every readable register by name.
--   barlua scripts/regs.lua uart.xml [--map NAME] [--block NAME]
--   barlua scripts/regs.lua uart.xml --device 0000:03:00.0 --bar 0
--   barlua scripts/regs.lua uart.xml --device ADDR --bar 0 --snapshot before.json
--   barlua scripts/regs.lua uart.xml --device ADDR --bar 0 --diff before.json
-- --snapshot FILE saves every register readable without side effects (JSON, values as hex
-- strings: 64-bit values do not fit JSON numbers); --diff FILE takes a new snapshot and prints
-- what changed since FILE, by register and field (regs.snapshot, regs.diff).
-- A SystemRDL source: scripts/rdl2ipxact -o uart.xml uart.rdl first.
-- It only reads: registers with read side effects (an IP-XACT field with a readAction) are
-- not read, write-only ones are shown as such. Exit status: 0 done, 1 the description or the
-- device failed, 2 bad arguments.
local argparse = require "argparse"
local regs = require "barlua.regs"
local script = require "barlua.script"
local out = require "script_output"
out.guard("regs.lua")
-- Names, descriptions and access texts come from the design file: printed with control bytes
-- escaped.
local print = out.print

local parser = argparse("regs.lua", "Show the registers an IP-XACT file describes; with a device, "
  .. "read each readable one by name (regs.dump).")
parser:argument("description", "IP-XACT component file (.xml); SystemRDL: convert with scripts/rdl2ipxact")
parser:option("--map", "memory map to load (default: the only one)")
parser:option("--block", "load only this address block (offsets stay from the memory map's start)")
parser:option("--device", "PCI address of a device bound to vfio-pci, e.g. 0000:03:00.0")
parser:option("--bar", "BAR of --device the memory map is on"):convert(tonumber)
parser:option("--file", "a file (or /dev/shm file) to read as the bar instead of a device")
parser:option("--snapshot", "save the readable registers' values to this JSON file (no table)")
parser:option("--diff", "compare the registers with a --snapshot JSON file (no table)")
local ok, args = parser:pparse()
if not ok then
  io.stderr:write("regs.lua: ", args, "\n", parser:get_usage(), "\n")
  os.exit(2)
end
if args.device and args.file then
  io.stderr:write("regs.lua: give --device or --file, not both\n")
  os.exit(2)
end
if args.device and args.bar == nil then
  io.stderr:write("regs.lua: --device needs --bar N (the BAR the memory map is on)\n")
  os.exit(2)
end
if args.bar ~= nil and not args.device then
  io.stderr:write("regs.lua: --bar goes with --device\n")
  os.exit(2)
end

if (args.snapshot or args.diff) and not (args.device or args.file) then
  io.stderr:write("regs.lua: --snapshot and --diff read registers: give --device ADDR --bar N or --file PATH\n")
  os.exit(2)
end
if args.snapshot and args.diff then
  io.stderr:write("regs.lua: give --snapshot or --diff, not both\n")
  os.exit(2)
end

local function fail(msg) script.fail("regs.lua", 1, msg) end

local loaded, spec = pcall(regs.load, args.description, {map = args.map, block = args.block})
if not loaded then fail((tostring(spec):gsub("with {map = NAME}", "with --map NAME"))) end
local defined, map = pcall(regs.define, spec)
if not defined then fail(map) end

local function print_table()
-- The table: offset, width, access (barlua's, and IP-XACT's when it differs), name, fields.
print(string.format("%s: %d registers, %s", spec.name, #spec.registers, spec.doc))
for _, why in ipairs(spec.skipped or {}) do print("not loaded: " .. why) end
for _, why in ipairs(spec.warnings or {}) do print("warning: " .. why) end
print(string.format("%-10s %5s %-6s %s", "offset", "width", "access", "register / fields [msb:lsb] access"))
local order = {}
for i, r in ipairs(spec.registers) do order[i] = r end
table.sort(order, function(a, b)
  if a.offset ~= b.offset then return a.offset < b.offset end
  return a.name < b.name
end)
for _, r in ipairs(order) do
  local width = r.origin and r.origin.bits ~= r.width and string.format("%d/%d", r.origin.bits, r.width)
    or tostring(r.width)
  local line = string.format("0x%08x %5s %-6s %s", r.offset, width, r.access, r.name)
  if r.origin and r.origin.access then line = line .. "  (" .. r.origin.access .. ")" end
  print(line)
  local fields = {}
  for name, f in pairs(r.fields or {}) do fields[#fields + 1] = {name = name, f = f} end
  table.sort(fields, function(a, b) return a.f.bit > b.f.bit end)
  for _, x in ipairs(fields) do
    local f = x.f
    local bits = f.width == 1 and string.format("[%d]", f.bit)
      or string.format("[%d:%d]", f.bit + f.width - 1, f.bit)
    print(string.format("%-10s %5s %-6s   %s %s%s%s", "", "", f.access, x.name, bits,
      f.origin and f.origin.access ~= nil and "  (" .. f.origin.access .. ")" or "",
      f.alias and ("  alias of " .. f.alias) or ""))
  end
end

end
if not args.snapshot and not args.diff then print_table() end

if not args.device and not args.file then os.exit(0) end
if not args.snapshot and not args.diff then print("") end
local bar, dev
if args.file then
  local mapped, b = pcall(mmio.map, args.file)
  if not mapped then fail(b) end
  bar = b
else
  local opened, d = pcall(vfio.open, args.device)
  if not opened then fail(d) end
  dev = d
  local mapped, b = pcall(dev.map, dev, args.bar)
  if not mapped then dev:close() fail(b) end
  bar = b
end
local bound, binding = pcall(regs.bind, bar, map)
if not bound then
  if dev then dev:close() end
  fail(binding)
end
local cjson = require "cjson"

-- A snapshot file: {"map": NAME, "registers": {NAME: "0x..."}, "skipped": [{register, why}]}.
local function read_snapshot(path)
  local f, err = io.open(path)
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  local decoded, doc = pcall(cjson.decode, text)
  if not decoded or type(doc) ~= "table" or type(doc.registers) ~= "table" then
    return nil, path .. ": not a snapshot written by regs.lua --snapshot"
  end
  local snap = {}
  for name, v in pairs(doc.registers) do
    local n = type(name) == "string" and type(v) == "string" and v:match("^0x%x+$") and #v <= 18
      and math.tointeger(tonumber(v:sub(3), 16))
    if not n then return nil, string.format("%s: register %s: value %s is not a hex string", path,
      tostring(name), tostring(v)) end
    snap[name] = n
  end
  return snap, doc.map
end

local function run()
  if args.snapshot then
    local snap, skipped = regs.snapshot(binding)
    local values = {}
    for name, v in pairs(snap) do values[name] = string.format("0x%x", v) end
    local written, err = out.write_file(args.snapshot,
      cjson.encode({map = map.name, registers = values, skipped = skipped}) .. "\n", "w")
    if not written then error(err, 0) end
    local n = 0
    for _ in pairs(snap) do n = n + 1 end
    print(string.format("%s: %d registers saved to %s", map.name, n, args.snapshot))
    for _, s in ipairs(skipped) do print(string.format("not read: %s (%s)", s.register, s.why)) end
  elseif args.diff then
    local before, err = read_snapshot(args.diff)
    if not before then error(err, 0) end
    if err ~= map.name then
      io.stderr:write(string.format("regs.lua: note: %s was saved from map %s, this is %s\n", args.diff,
        tostring(err), map.name))
    end
    local now = regs.snapshot(binding)
    local changes = regs.diff(before, now) -- fields from now's map
    for _, d in ipairs(changes) do
      local name = d.field and d.register .. "." .. d.field or d.register
      print(string.format("%-32s %s -> %s", name, d.before and string.format("0x%x", d.before) or "(absent)",
        d.after and string.format("0x%x", d.after) or "(absent)"))
    end
    print(string.format("%d change%s since %s", #changes, #changes == 1 and "" or "s", args.diff))
  else
    regs.dump(binding)
  end
end
local done, err = pcall(run)
if dev then dev:close() end
if not done then fail(err) end
out.done()
