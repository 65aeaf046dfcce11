local t = require "barlua.test"
local info = t.device{ vendor = 0x1234, device = 0x11e8, addr = os.getenv("BARLUA_EDU") }
local d <close> = vfio.open(info.addr)
local bar <close> = d:map(0)
t.subtest("registers", function()
  t.is(bar:read32(0), 0x010000ed, "id")
  t.is(bar:read32(0), 0x12345678, "wrong on purpose")
end)
t.measure("read32_latency", 123.5, "ns")
t.done()
