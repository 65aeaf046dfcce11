#!/usr/bin/env barlua
-- bar:trace on edu through the real vfio-pci driver: a known sequence recorded access by access,
-- named through a register map, saved as a replay script that is run here and (by
-- Tests/twoboot/trace-replay.sh) in a new boot. The script goes to $BARLUA_OUT/edu-replay.lua.
local t = require "barlua.test"
local regs = require "barlua.regs"

local EDU = os.getenv("BARLUA_EDU")
if os.getenv("BARLUA_GUEST") ~= "1" or not EDU then
  t.skip("needs the test bed guest (scripts/testbed/guest)")
end

local edu_map = regs.define{name = "edu", registers = {
  {name = "id", offset = 0x00, width = 32, access = "ro",
   fields = {major = {lsb = 24, msb = 31}, minor = {lsb = 16, msb = 23}}},
  {name = "liveness", offset = 0x04, width = 32, access = "rw"},
  {name = "factorial", offset = 0x08, width = 32, access = "rw"},
  {name = "status", offset = 0x20, width = 32, access = "rw",
   fields = {computing = {bit = 0, access = "ro"}, irq_enable = {bit = 7}}},
}}

local dev = vfio.open(EDU)
local bar = dev:map(0)
local r = regs.bind(bar, edu_map)

bar:trace()
local id = r.id.major
r.liveness = 0x12345678
local live = r.liveness
r.factorial = 6
local done = bar:poll32(0x20, 1, 0, 1)
local fact = r.factorial
bar:read(0, 12, 32) -- a bulk read: one entry
local trace = bar:trace_stop()
t.is(id, 1, "edu id major")
t.is(live, 0xedcba987, "liveness inverted")
t.ok(done, "factorial finished")
t.is(fact, 720, "6! = 720")

local kinds = {}
for _, e in ipairs(trace:entries()) do
  kinds[#kinds + 1] = string.format("%s@%x=%s", e.kind, e.offset, e.value and string.format("%x", e.value) or e.len)
end
t.is(table.concat(kinds, " "), "read32@0=10000ed write32@4=12345678 read32@4=edcba987 write32@8=6 "
  .. "poll32@20=0 read32@8=2d0 read@0=12", "every access in order, the bulk read as one entry")
t.is(trace:entries()[7].data, string.pack("<I4I4I4", 0x010000ed, 0xedcba987, 720), "the bulk read's bytes")

local names = {}
for line in trace:format(edu_map):gmatch("[^\n]+") do names[#names + 1] = line:match("(edu%S*[^\n]*)$") or "" end
t.is(table.concat(names, " | "), "edu.id{minor=0x0 major=0x1} | edu.liveness | edu.liveness | edu.factorial | "
  .. "edu.status{computing=0x0 irq_enable=0x0} | edu.factorial | edu.id .. edu.factorial",
  "named by register and field through the map")

local out = os.getenv("BARLUA_OUT") or "/tmp"
local path = out .. "/edu-replay.lua"
trace:save(path, edu_map)
local f = assert(io.open(out .. "/edu-replay.addr", "w"))
f:write(EDU, "\n")
f:close()
bar:unmap()
dev:close()

-- The script, run as a user runs it (a new process, the default target: this edu's BAR0).
local p = io.popen("barlua " .. path .. " 2>&1; echo \"status $?\"")
local text = p:read("a")
p:close()
t.is(text, "replayed 7 accesses: 5 checks, 0 failed\nstatus 0\n", "the replay's checks pass")

t.done()
