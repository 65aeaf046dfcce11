#!/usr/bin/env barlua
-- dump_info: list PCI devices the way the seed's dump_info_pciutils does (same lines), plus
-- class, driver, NUMA node, the PCIe link (with a warning when it trained below its maximum)
-- and, with --vfio, what VFIO says of the devices bound to vfio-pci.
--
--   barlua scripts/dump_info.lua [--vfio] [FILTER ...]
--   FILTER: dom:bus:dev.func | bus:dev.func | vendor:device | vendor   (hex, as lspci -s / -d)
--
-- Reads sysfs only (no privileges) unless --vfio is given; never writes to a device.
local argparse = require "argparse"
local out = require "script_output"
out.guard("dump_info")
-- Names and text come from sysfs and pci.ids: printed with control bytes escaped.
local print = out.print

local parser = argparse("dump_info", "List PCI devices: ids, names, command bits, IOMMU group, BARs.")
parser:argument("filter", "dom:bus:dev.func, bus:dev.func, vendor:device or vendor (hex); "
  .. "several filters list the devices matching any of them."):args("*")
parser:flag("--vfio", "For devices bound to vfio-pci, open them and show VFIO's regions and IRQs "
  .. "(needs access to /dev/vfio).")
local options = parser:parse()

local function fail(message)
  io.stderr:write("dump_info: ", message, "\n")
  os.exit(1)
end

local FILTER_FORMS = "expected dom:bus:dev.func, bus:dev.func, vendor:device or vendor (hex)"

-- A 16-bit hex id of 1-4 digits, optionally with 0x; nil when it is not one.
local function hex_id(text)
  local digits = text:match("^0[xX](%x+)$") or text:match("^(%x+)$")
  if not digits or #digits > 4 then return nil end
  return tonumber(digits, 16)
end

-- One command-line filter as a pci.devices filter table.
local function parse_filter(text)
  if text:find(".", 1, true) then
    -- An address: let the core parse it, and say which argument was wrong.
    local ok, err = pcall(pci.devices, { addr = text })
    if not ok then
      fail(string.format("bad filter '%s': %s; %s", text, FILTER_FORMS,
        (tostring(err):gsub("^pci%.devices: ", ""))))
    end
    return { addr = text }
  end
  local vendor_text, device_text = text:match("^([^:]*):([^:]*)$")
  if not vendor_text then vendor_text = text end
  local vendor = hex_id(vendor_text)
  local device = device_text and hex_id(device_text)
  if not vendor or (device_text and not device) then
    fail(string.format("bad filter '%s': %s", text, FILTER_FORMS))
  end
  return { vendor = vendor, device = device }
end

-- Devices matching any filter (all devices without one), each once, sorted by address.
local function select_devices(filters)
  if #filters == 0 then return pci.devices() end
  local seen, found = {}, {}
  for _, text in ipairs(filters) do
    for _, d in ipairs(pci.devices(parse_filter(text))) do
      if not seen[d.addr] then
        seen[d.addr] = true
        found[#found + 1] = d
      end
    end
  end
  table.sort(found, function(a, b) return a.addr < b.addr end)
  return found
end

local function sign(flag) return flag and "+" or "-" end
local function bit(flag) return flag and 1 or 0 end

-- The seed's lines for one device, then what later versions of it added.
local function print_device(d)
  print(string.format("domain=%04x bus=%02x dev=%02x func=%02x", d.domain, d.bus, d.slot, d.func))
  if d.error then
    -- Its sysfs files could not be read (or hold text the kernel does not write): say so and
    -- go on with the other devices.
    print("  ERROR: cannot read this device: " .. d.error)
    return false
  end
  -- pci.ids may lack a name: print lspci's placeholder, as the seed does ("Device 7024").
  print(string.format("  vendor_id=%04x (%s) device_id=%04x (%s) subvendor_id=%04x subdevice_id=%04x",
    d.vendor, d.vendor_name or string.format("Vendor %04x", d.vendor),
    d.device, d.device_name or string.format("Device %04x", d.device),
    d.subvendor, d.subdevice))
  print(string.format("  class=%06x revision=%02x", d.class, d.revision))
  print("  driver: " .. (d.driver or "none"))
  print(string.format("  control: I/O%s Mem%s BusMaster%s",
    sign(d.command.io), sign(d.command.mem), sign(d.command.bus_master)))
  print("  IOMMU group: " .. (d.iommu_group and tostring(d.iommu_group) or "none"))
  print("  NUMA node: " .. tostring(d.numa_node))
  local link = d.link
  if link then
    print(string.format("  link: %s x%d (max %s x%d)", link.speed, link.width, link.max_speed, link.max_width))
    local slower = link.gts and link.max_gts and link.gts < link.max_gts
    if slower or link.width < link.max_width then
      print(string.format("  WARNING: the link trained below its maximum: %s x%d, capable of %s x%d",
        link.speed, link.width, link.max_speed, link.max_width))
    end
  end
  for index = 0, 5 do
    local b = d.bars[index]
    if b then
      print(string.format("  bar[%d] base_addr=%x size=%x is_IO=%d is_prefetchable=%d is_64=%d",
        index, b.base, b.size, bit(b.io), bit(b.prefetchable), bit(b.is64)))
    end
  end
  return true
end

local function flags_of(r)
  local names = {}
  if r.read then names[#names + 1] = "read" end
  if r.write then names[#names + 1] = "write" end
  if r.mmap then names[#names + 1] = "mmap" end
  return #names > 0 and table.concat(names, ",") or "none"
end

local function irq_flags(q)
  local names = {}
  for _, key in ipairs({ "eventfd", "maskable", "automasked", "noresize" }) do
    if q[key] then names[#names + 1] = key end
  end
  return #names > 0 and table.concat(names, ",") or "none"
end

-- One VFIO region: size, offset, access flags, and its capabilities (sparse mmap areas,
-- MSI-X table mappable).
local function print_region(r)
  local caps = {}
  if r.sparse then
    local areas = {}
    for _, a in ipairs(r.sparse) do areas[#areas + 1] = string.format("0x%x+0x%x", a.offset, a.size) end
    caps[#caps + 1] = "sparse-mmap " .. table.concat(areas, ",")
  end
  if r.msix_mappable then caps[#caps + 1] = "msix-mappable" end
  print(string.format("    region %d %s size=0x%x offset=0x%x flags=%s%s", r.index, r.name, r.size,
    r.offset, flags_of(r), #caps > 0 and (" caps: " .. table.concat(caps, "; ")) or ""))
end

-- What display_vfio_information shows: group, IOMMU type, regions with their capabilities,
-- IRQs. A device that cannot be opened gets the reason, and the listing goes on.
local function print_vfio(d)
  local ok, dev = pcall(vfio.open, d.addr)
  if not ok then
    print("  VFIO: cannot open: " .. tostring(dev):gsub("^vfio%.open: ", ""))
    return
  end
  print(string.format("  VFIO: group %d (%s) iommu=%s regions=%d irqs=%d reset=%s",
    dev.group, dev.group_path, dev.iommu, dev.num_regions, dev.num_irqs, dev.can_reset and "yes" or "no"))
  -- Regions of size 0 (unimplemented BARs, no ROM, no VGA) are left out: num_regions counts them.
  for _, r in ipairs(dev:regions()) do
    if r.size > 0 then print_region(r) end
  end
  for _, q in ipairs(dev:irqs()) do
    print(string.format("    irq %d %s count=%d flags=%s", q.index, q.name, q.count, irq_flags(q)))
  end
  -- The container's valid IOVA ranges (type1): where DMA buffers can be mapped.
  local ok_ranges, ranges = pcall(dev.iova_ranges, dev)
  if not ok_ranges then
    print("    iova ranges: cannot read: " .. tostring(ranges):gsub("^device:iova_ranges: ", ""))
  elseif ranges == nil then
    print("    iova ranges: none (" .. (dev.iommu == "noiommu"
      and "no-IOMMU: devices use physical addresses" or "the kernel reports none") .. ")")
  else
    for _, r in ipairs(ranges) do
      print(string.format("    iova range 0x%x-0x%x", r.first, r.last))
    end
  end
  dev:close()
end

local devices = select_devices(options.filter)
if #options.filter > 0 and #devices == 0 then
  fail("no PCI device matches " .. table.concat(options.filter, " or ") .. " (run without a filter to list all)")
end
print("Access method : linux-sysfs")
local unreadable = 0
for _, d in ipairs(devices) do
  if print_device(d) then
    if options.vfio and d.driver == "vfio-pci" then print_vfio(d) end
  else
    unreadable = unreadable + 1
  end
end
-- The listing is complete for every readable device; a device that could not be read is a
-- failure of this run (exit status 1), reported where it stands in the listing.
if unreadable > 0 then
  io.stderr:write(string.format("dump_info: %d device%s could not be read (see ERROR above)\n",
    unreadable, unreadable == 1 and "" or "s"))
  os.exit(1)
end
out.done()
