#!/usr/bin/env barlua
-- regs.snapshot / regs.diff / regs.restore by name on real vfio-pci devices: edu's registers
-- (liveness, factorial, status), and ivshmem's BAR0, whose IntrStatus (0x04) QEMU clears on
-- every read (hw/misc/ivshmem.c: ivshmem_IntrStatus_read): a snapshot that read it would
-- clear it, so the value still there afterwards proves it was never read. The ivshmem that can
-- reset shows snapshot -> reset -> diff.
local t = require "barlua.test"
local regs = require "barlua.regs"

local EDU, IVSHMEM, IVSHMEM_RESET = os.getenv("BARLUA_EDU"), os.getenv("BARLUA_IVSHMEM"),
  os.getenv("BARLUA_IVSHMEM_RESET")
if os.getenv("BARLUA_GUEST") ~= "1" or not (EDU and IVSHMEM and IVSHMEM_RESET) then
  t.skip("needs the test bed guest (scripts/testbed/guest)")
end

local edu_map = regs.define{name = "edu", registers = {
  {name = "id", offset = 0x00, width = 32, access = "ro",
   fields = {major = {lsb = 24, msb = 31}, minor = {lsb = 16, msb = 23}}},
  {name = "liveness", offset = 0x04, width = 32, access = "rw"},
  {name = "factorial", offset = 0x08, width = 32, access = "rw"},
  {name = "status", offset = 0x20, width = 32, access = "rw",
   fields = {computing = {bit = 0, access = "ro"}, irq_enable = {bit = 7}}},
  {name = "irq_raise", offset = 0x60, width = 32, access = "wo"},
}}

local ivshmem_map = regs.define{name = "ivshmem", registers = {
  {name = "IntrMask", offset = 0x00, width = 32, access = "rw"},
  {name = "IntrStatus", offset = 0x04, width = 32, access = "rw", side_effects = true},
  {name = "IVPosition", offset = 0x08, width = 32, access = "ro"},
  {name = "Doorbell", offset = 0x0c, width = 32, access = "wo"},
}}

local function changes(diff)
  local s = {}
  for _, d in ipairs(diff) do
    s[#s + 1] = string.format("%s%s:%s->%s", d.register, d.field and "." .. d.field or "",
      tostring(d.before), tostring(d.after))
  end
  return table.concat(s, " ")
end

t.test("edu: snapshot, change, diff by field, restore", function()
  local dev <close> = vfio.open(EDU)
  local bar = dev:map(0)
  local r = regs.bind(bar, edu_map)
  r.liveness = 0x0f0f0f0f
  r.factorial = 1
  assert(bar:poll32(0x20, 1, 0, 1), "factorial of 1 done")
  r.status.irq_enable = 0
  local before, skipped = regs.snapshot(r)
  t.is(before.id, 0x010000ed, "snapshot: edu's id by name")
  t.is(before.liveness, 0xf0f0f0f0, "snapshot: liveness reads the inverse of what was written")
  t.is(#skipped, 1, "one register skipped")
  t.is(skipped[1].register .. " " .. skipped[1].why, "irq_raise write-only", "the write-only one, with why")
  r.liveness = 0x12345678
  r.factorial = 5
  assert(bar:poll32(0x20, 1, 0, 1), "factorial of 5 done")
  r.status.irq_enable = 1
  local after = regs.snapshot(r)
  t.is(changes(regs.diff(before, after)), "liveness:4042322160->3989547399 factorial:1->120 "
    .. "status.irq_enable:0->1", "diff: the three changes, status by field")
  local written = regs.restore(r, before)
  t.is(table.concat(written, ","), "liveness,factorial,status", "restore writes back the changed ones")
  -- edu computes the factorial of what is written to 0x08: writing 1 back gives 1! = 1.
  assert(bar:poll32(0x20, 1, 0, 1), "factorial done")
  t.is(changes(regs.diff(before, regs.snapshot(r))), "liveness:4042322160->252645135",
    "after restore only liveness differs (it reads the inverse of what restore wrote)")
  r.status.irq_enable = 0
end)

t.test("ivshmem: a read-to-clear register is never read", function()
  local dev <close> = vfio.open(IVSHMEM)
  local bar = dev:map(0)
  bar:write32(4, 5)
  t.is(bar:read32(4), 5, "IntrStatus holds what was written")
  t.is(bar:read32(4), 0, "and a read clears it (so it is read-to-clear)")
  bar:write32(4, 5)
  local r = regs.bind(bar, ivshmem_map)
  local snap, skipped = regs.snapshot(r)
  t.is(snap.IntrStatus, nil, "not in the snapshot")
  local why = {}
  for _, s in ipairs(skipped) do why[#why + 1] = s.register .. ":" .. s.why end
  t.is(table.concat(why, ","), "IntrStatus:reading it has side effects,Doorbell:write-only",
    "listed as skipped, with why")
  t.is(bar:read32(4), 5, "IntrStatus still 5: the snapshot did not read it")
  bar:write32(0, 0xff)
  t.is(changes(regs.diff(snap, regs.snapshot(r))), "IntrMask:0->255", "diff on ivshmem")
  t.is(table.concat(regs.restore(r, snap), ","), "IntrMask", "restore")
  t.is(bar:read32(0), 0, "IntrMask restored")
  t.is(bar:read32(4), 0, "(the read above cleared IntrStatus again)")
end)

t.test("snapshot -> reset -> diff", function()
  local dev <close> = vfio.open(IVSHMEM_RESET)
  local bar = dev:map(0)
  local r = regs.bind(bar, ivshmem_map)
  r.IntrMask = 0xffffffff
  local before = regs.snapshot(r)
  dev:reset()
  t.is(changes(regs.diff(before, regs.snapshot(r))), "IntrMask:4294967295->0",
    "the reset cleared IntrMask, and diff says so")
end)

t.done()
