#!/usr/bin/env barlua
-- scripts/dump_info.lua --vfio in the guest: every device lspci lists, the VFIO view
-- of each vfio-pci device (regions equal to what the device reports), and the reason instead
-- of the view for a device that cannot be opened, with the listing going on.
local t = require "barlua.test"

if os.getenv("BARLUA_GUEST") ~= "1" then t.skip("needs the test bed guest (scripts/testbed/guest)") end
local MODE = os.getenv("BARLUA_GUEST_MODE")
local BRIDGED, VIRTIO = os.getenv("BARLUA_NONVIABLE_EDU"), os.getenv("BARLUA_NONVIABLE_VIRTIO")

local function run(command)
  local p = io.popen(command .. " 2>&1")
  local out = p:read("a")
  local ok, _, status = p:close()
  return out, ok and 0 or status
end
local barlua = run("command -v barlua"):gsub("\n$", "")

local out, status = run(barlua .. " scripts/dump_info.lua --vfio")
t.is(status, 0, "dump_info --vfio exits 0")

-- The listing, by device: address -> its lines.
local blocks, order = {}, {}
local current
for line in out:gmatch("[^\n]+") do
  local d, b, s, f = line:match("^domain=(%x+) bus=(%x+) dev=(%x+) func=(%x+)$")
  if d then
    current = string.format("%s:%s:%s.%s", d, b, s, f:sub(2))
    blocks[current], order[#order + 1] = {}, current
  elseif current then
    table.insert(blocks[current], line)
  end
end
local lspci = {}
for addr in run("lspci -D"):gmatch("(%x+:%x+:%x+%.%x) ") do lspci[#lspci + 1] = addr end
t.is(table.concat(order, " "), table.concat(lspci, " "), "dump_info lists the devices lspci -D lists, in order")

local function has(addr, pattern)
  for _, line in ipairs(blocks[addr] or {}) do
    if line:find(pattern) then return line end
  end
end

for _, info in ipairs(vfio.devices()) do
  local addr = info.addr
  if info.viable then
    local d <close> = vfio.open(addr)
    t.ok(has(addr, "^  VFIO: group " .. d.group .. " %(" .. d.group_path:gsub("%-", "%%-") .. "%) iommu=" .. d.iommu),
      addr .. ": the VFIO line names the group, its file, the IOMMU type")
    for _, r in ipairs(d:regions()) do
      local line = has(addr, "^    region " .. r.index .. " ")
      if r.size > 0 then
        t.ok(line and line:find(string.format("size=0x%x offset=0x%x", r.size, r.offset), 1, true),
          addr .. " region " .. r.index .. " size and offset")
      else
        t.is(line, nil, addr .. " region " .. r.index .. " of size 0 is left out")
      end
    end
    t.ok(has(addr, "^    irq 0 INTx count=%d"), addr .. ": IRQ counts")
    if d.iommu == "noiommu" then
      t.ok(has(addr, "^    iova ranges: none %(no%-IOMMU"), addr .. ": no IOVA ranges in no-IOMMU mode")
    else
      -- x86 excludes the MSI window 0xfee00000-0xfeefffff from the valid ranges.
      t.ok(has(addr, "^    iova range 0x0%-0xfedfffff$") and has(addr, "^    iova range 0xfef00000%-0x%x+$"),
        addr .. ": the container's valid IOVA ranges, around the MSI window")
    end
  else
    t.ok(has(addr, "^  VFIO: cannot open: IOMMU group %d+ is not viable: " .. VIRTIO:gsub("[%.%-]", "%%%0")),
      addr .. ": a non-viable device prints the reason instead (names " .. VIRTIO .. ")")
  end
end
if MODE == "type1" then
  t.ok(has(BRIDGED, "^  VFIO: cannot open: "), "type1: the edu behind the bridge cannot be opened")
  t.ok(has(VIRTIO, "^  driver: virtio%-pci$"), "and the listing goes on after it")
else
  t.ok(has(BRIDGED, "^  VFIO: group %d+ %(/dev/vfio/noiommu%-%d+%) iommu=noiommu"),
    "noiommu: the edu behind the bridge opens, in a group of its own")
end
t.is(has(VIRTIO, "VFIO"), nil, "a device on another driver gets no VFIO view")
t.done()
