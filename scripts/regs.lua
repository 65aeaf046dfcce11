#!/usr/bin/env barlua
-- regs.lua: the register table of an IP-XACT description (offset, width, access, fields), and
-- with --device ADDR --bar N (or --file PATH) the live value of every readable register by name.
--   barlua scripts/regs.lua uart.xml [--map NAME] [--block NAME]
--   barlua scripts/regs.lua uart.xml --device 0000:03:00.0 --bar 0
-- A SystemRDL source: scripts/rdl2ipxact -o uart.xml uart.rdl first.
-- It only reads: registers marked as having read side effects are not read (none are, from
-- IP-XACT), write-only ones are shown as such. Exit status: 0 done, 1 the description or the
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

local function fail(msg) script.fail("regs.lua", 1, msg) end

local loaded, spec = pcall(regs.load, args.description, {map = args.map, block = args.block})
if not loaded then fail((tostring(spec):gsub("with {map = NAME}", "with --map NAME"))) end
local defined, map = pcall(regs.define, spec)
if not defined then fail(map) end

-- The table: offset, width, access (barlua's, and IP-XACT's when it differs), name, fields.
print(string.format("%s: %d registers, %s", spec.name, #spec.registers, spec.doc))
for _, why in ipairs(spec.skipped or {}) do print("not loaded: " .. why) end
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
    print(string.format("%-10s %5s %-6s   %s %s%s", "", "", f.access, x.name, bits,
      f.origin and f.origin.access ~= nil and "  (" .. f.origin.access .. ")" or ""))
  end
end

if not args.device and not args.file then os.exit(0) end
print("")
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
local dumped, err = pcall(regs.dump, binding)
if dev then dev:close() end
if not dumped then fail(err) end
out.done()
