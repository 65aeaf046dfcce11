#!/usr/bin/env barlua
-- Exact-width bulk transfers and polling on the real vfio-pci driver, seen by a device that
-- checks the access size: QEMU's edu answers its registers below 0x80 only to 4-byte
-- accesses (an 8-byte read there returns all ones, an 8-byte write is ignored), so the width
-- barlua really used is visible.
local t = require "barlua.test"

local EDU = os.getenv("BARLUA_EDU")
if os.getenv("BARLUA_GUEST") ~= "1" or not EDU then
  t.skip("needs the test bed guest (scripts/testbed/guest)")
end

local edu = vfio.open(EDU)
local bar0 = edu:map(0)

bar0:write32(4, 0x12345678)
local s = bar0:read(0, 8, 32)
local id, live = string.unpack("<I4I4", s)
t.is(#s, 8, "bar:read(0, 8, 32) returns 8 bytes")
t.is(id, 0x010000ed, "bar:read(0, 8, 32): the identification register, from one 4-byte access")
t.is(live, 0xedcba987, "bar:read(0, 8, 32): then liveness (inverted 0x12345678), from the next")
t.is(bar0:read(0, 8, 64), ("\xff"):rep(8), "bar:read(0, 8, 64) is one 8-byte access: edu answers it with all ones")

bar0:write(4, string.pack("<I4", 0xa5a55a5a), 32)
t.is(bar0:read32(4), 0x5a5aa5a5, "bar:write(4, pattern, 32): liveness reads back the pattern inverted")
bar0:fill(0x3c, 4, 4, 32)
t.is(bar0:read32(4), 0xc3c3c3c3, "bar:fill(0x3c, 4, 4, 32): one 4-byte store, read back inverted")
bar0:write(0, string.pack("<I4I4", 0, 0x0f0f0f0f), 32)
t.is(bar0:read32(4), 0xf0f0f0f0, "bar:write(0, 8 bytes, 32): two 4-byte stores, the second reached liveness")
bar0:write(0, string.pack("<I4I4", 0, 0x11111111), 64)
t.is(bar0:read32(4), 0xf0f0f0f0, "bar:write(0, 8 bytes, 64) is one 8-byte store: edu ignores it")
bar0:fill(0, 0, 8, 64)
t.is(bar0:read32(4), 0xf0f0f0f0, "bar:fill(0, 0, 8, 64) is one 8-byte store: edu ignores it")

-- Polling a real register.
local v, ns = bar0:poll32(0, 0xffffffff, 0x010000ed)
t.is(v, 0x010000ed, "poll32 on the identification register matches at once")
t.ok(math.type(ns) == "integer" and ns >= 0 and ns < 1e9, "poll32 returns the elapsed ns")
local none, why, last = bar0:poll32(0, 0xff, 0, 0.05)
t.is(none, nil, "poll32 for a value that never comes returns nil")
t.is(why, "timeout", "... and \"timeout\"")
t.is(last, 0x010000ed, "... and the last value read")
bar0:write32(0x08, 10) -- start a factorial: status bit 0 is set while edu computes
local st = bar0:poll32(0x20, 1, 0, 5)
t.is(st and st & 1, 0, "poll32 waits for edu's factorial to finish (status bit 0 clear)")
t.is(bar0:read32(0x08), 3628800, "the factorial is there when the poll returns")

bar0:unmap()
edu:close()
t.done()
