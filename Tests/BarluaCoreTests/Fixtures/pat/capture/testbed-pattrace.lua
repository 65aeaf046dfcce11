-- Captures a PAT fixture in the test bed guest: every pattrace step of edu BAR0 (vfio, sysfs)
-- and ivshmem BAR2 (vfio, sysfs, sysfs-wc), each step preceded by a `=== step NAME:` line
-- written to /dev/kmsg, then the kernel log as dmesg prints it into $BARLUA_OUT/dmesg.txt.
--   scripts/testbed/guest --kernel newest -- barlua Tests/BarluaCoreTests/Fixtures/pat/capture/testbed-pattrace.lua
local pattrace = require "pattrace"
local function kmsg(line)
  local f = assert(io.open("/dev/kmsg", "w"))
  f:write(line, "\n")
  f:close()
end
local cases = {
  { os.getenv("BARLUA_EDU"), 0, "vfio", "edu-vfio" },
  { os.getenv("BARLUA_EDU"), 0, "sysfs", "edu-sysfs" },
  { os.getenv("BARLUA_IVSHMEM"), 2, "vfio", "ivshmem-vfio" },
  { os.getenv("BARLUA_IVSHMEM"), 2, "sysfs", "ivshmem-sysfs" },
  { os.getenv("BARLUA_IVSHMEM"), 2, "sysfs-wc", "ivshmem-sysfs-wc" },
}
for _, c in ipairs(cases) do
  local addr, bar, method, label = table.unpack(c)
  local r = pattrace.trace(addr, bar, method, {
    memtype = false,
    hooks = { before = function(step) kmsg("=== step " .. label .. " " .. step .. ":") end },
  })
  print(label, pattrace.verdict(r, true))
end
os.execute("dmesg > " .. os.getenv("BARLUA_OUT") .. "/dmesg.txt")
