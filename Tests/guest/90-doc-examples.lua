#!/usr/bin/env barlua
-- Every ```lua device example of README.md and docs/ runs on the guest's real vfio-pci devices
-- (Tests/docs/examples.lua --device; the host tests run the plain ```lua ones). The DMA example
-- of docs/dma-irq.md is one of them: allocate, DMA both ways, wait for the MSI, compare.
local t = require "barlua.test"
if os.getenv("BARLUA_GUEST") ~= "1" then t.skip("needs the test bed guest (scripts/testbed/guest)") end
local barlua = string.format("'%s'", (arg[-1] or "barlua"):gsub("'", "'\\''"))
local p = io.popen(barlua .. " Tests/docs/examples.lua --device 2>&1; echo \"exit=$?\"")
local out = p:read("a")
p:close()
t.ok(out:find("\nexit=0\n$") ~= nil, "every device example in the docs runs:\n" .. out)
t.ok(select(2, out:gsub("\nok %d+ %- [^\n]* runs", "")) >= 4,
  "it ran the device examples (README's tour, DMA, registers, test script)")
t.done()
