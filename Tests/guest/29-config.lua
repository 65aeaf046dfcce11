#!/usr/bin/env barlua
-- Config space by name on the real kernel: for every device in the guest, pci.config's
-- capability lists, decoded link fields and serial number equal what lspci -vvv prints;
-- writes are refused without {write=true}; device:config() (VFIO) shows what pci.config shows;
-- AER counters and registers; AER masks, Link Disable and retraining on a root port, each put
-- back as found.
local t = require "barlua.test"
local pcie = require "barlua.pcie"

if os.getenv("BARLUA_GUEST") ~= "1" then t.skip("needs the test bed guest (scripts/testbed/guest)") end
local PORT_DEVICE = os.getenv("BARLUA_IVSHMEM_RESET")

local bed = require "bed"
local run, lspci = bed.run, bed.lspci

-- lspci's capability text -> barlua's name.
local NAMES = {
  {"Power Management", "pm"}, {"MSI-X", "msix"}, {"MSI:", "msi"}, {"Express", "express"},
  {"Vendor Specific Information", "vendor"}, {"Subsystem", "ssvid"}, {"Slot ID", "slot_id"},
  {"Hot-plug capable", "hotplug"}, {"SATA HBA", "sata"}, {"Advanced Error Reporting", "aer"},
  {"Access Control Services", "acs"}, {"Device Serial Number", "dsn"},
  {"Null", "null"}, {"Vital Product Data", "vpd"},
}
local function name_of(text)
  for _, n in ipairs(NAMES) do
    if text:sub(1, #n[1]) == n[1] then return n[2] end
  end
  return "?" .. text
end

local function parse(text)
  local caps, link = {}, {}
  local after_status = false
  for line in text:gmatch("[^\n]+") do
    local off, ver, rest = line:match("^\tCapabilities: %[(%x+)%s*v?(%d*)%] (.*)$")
    if off then
      caps[#caps + 1] = {offset = tonumber(off, 16), version = tonumber(ver), text = rest}
    end
    local cap = line:match("^\t\tLnkCap:\t(.*)$")
    if cap then
      link.max_speed = tonumber(cap:match("Speed ([%d%.]+)GT/s"))
      link.max_width = tonumber(cap:match("Width x(%d+)"))
    end
    local sta = line:match("^\t\tLnkSta:\t(.*)$")
    if sta then
      link.speed = tonumber(sta:match("Speed ([%d%.]+)GT/s"))
      link.width = tonumber(sta:match("Width x(%d+)"))
      link.degraded = sta:find("downgraded", 1, true) ~= nil
      after_status = true
    elseif after_status then
      link.training = line:match("Train([+-])") == "+"
      link.dll_active = line:match("DLActive([+-])") == "+"
      after_status = false
    end
    local ctl = line:match("^\t\tLnkCtl:\t(.*)$")
    if ctl then link.disabled = ctl:match("Disabled([+-])") == "+" end
  end
  return caps, link.speed and link or nil
end

local devices = pci.devices()
t.ok(#devices >= 10, "the guest has its devices: " .. #devices)
local seen_ext, seen_link = 0, 0
for _, d in ipairs(devices) do
  t.test(d.addr .. ": capabilities, link and serial equal lspci -vvv", function()
    local text = lspci(d.addr)
    local want, want_link = parse(text)
    local c <close> = pci.config(d.addr)
    assert(c.size == 256 or c.size == 4096, "root reads the whole space: " .. c.size)
    local got = c:capabilities()
    local a, b = {}, {}
    for i, cap in ipairs(got) do
      a[i] = string.format("%x:%s:%s", cap.offset, cap.name, cap.extended and cap.version or "-")
      if cap.extended then seen_ext = seen_ext + 1 end
    end
    for i, w in ipairs(want) do
      b[i] = string.format("%x:%s:%s", w.offset, name_of(w.text), w.offset >= 0x100 and w.version or "-")
    end
    if not t.is(table.concat(a, " "), table.concat(b, " "), d.addr .. " capability list") then t.diag(text) end
    local link = pci.link(d.addr)
    if want_link then
      seen_link = seen_link + 1
      assert(link, "lspci shows a link, pci.link gives nil")
      for _, k in ipairs{"speed", "width", "max_speed", "max_width", "degraded", "training", "dll_active",
        "disabled"} do
        t.is(link[k], want_link[k], d.addr .. " link " .. k)
      end
      -- The same through the register maps.
      local cfg = pcie.bind(c)
      t.is(pcie.speeds[cfg.express.link_status.current_link_speed], link.speed, d.addr .. " pcie.bind speed")
      t.is(cfg.express.link_status.negotiated_link_width, link.width, d.addr .. " pcie.bind width")
    else
      t.is(link, nil, d.addr .. ": no link in lspci, none from pci.link")
    end
    local dsn = text:match("Device Serial Number ([%x%-]+)")
    t.is(pci.serial(d.addr), dsn and dsn:gsub("%-", "") or nil, d.addr .. " serial number")
    -- Header identity through the maps.
    local cfg = pcie.bind(c)
    t.is(cfg.header.vendor_id, d.vendor, d.addr .. " vendor_id")
    t.is(cfg.header.device_id, d.device, d.addr .. " device_id")
  end)
end
t.ok(seen_ext > 0, "some device has extended capabilities: " .. seen_ext)
t.ok(seen_link > 0, "some device has a link: " .. seen_link)

-- Writes need {write=true}; nothing is written.
do
  local addr = devices[1].addr
  local c <close> = pci.config(addr)
  local before = c:read8(0x3c)
  local err = t.error_of(c.write8, c, 0x3c, 0)
  t.contains(err, "config:write8: config space of " .. addr .. " was opened for reading only: open it with "
    .. "pci.config(\"" .. addr .. "\", {write=true}) (as root) to write", "write refused without write=true")
  t.is(c:read8(0x3c), before, "nothing written")
end

-- device:config() over VFIO shows the same device.
for _, d in ipairs(vfio.devices()) do
  if d.viable then
    t.test(d.addr .. ": device:config() equals pci.config", function()
      local dev <close> = vfio.open(d.addr)
      local v <close> = dev:config()
      local s <close> = pci.config(d.addr)
      t.is(v.method, "vfio", "method")
      t.is(v.size, s.size, d.addr .. " size")
      for _, off in ipairs{0x00, 0x02, 0x08, 0x2c, 0x2e, 0x3d} do
        t.is(v:read16(off & ~1), s:read16(off & ~1), string.format("%s config 0x%02x", d.addr, off & ~1))
      end
      local function list(c)
        local l = {}
        for _, cap in ipairs(c:capabilities()) do l[#l + 1] = string.format("%x:%d", cap.offset, cap.id) end
        return table.concat(l, " ")
      end
      t.is(list(v), list(s), d.addr .. " capability lists")
      t.contains(t.error_of(v.write8, v, 0x3c, 0), "open it with device:config({write=true}) to write",
        "VFIO config write refused without write=true")
      local w <close> = dev:config({write = true})
      local line = w:read8(0x3c)
      w:write8(0x3c, line ~ 0x0f)
      t.is(w:read8(0x3c), line ~ 0x0f, d.addr .. " VFIO Interrupt Line written")
      w:write8(0x3c, line)
      t.is(w:read8(0x3c), line, d.addr .. " and put back")
      dev:close()
      t.contains(t.error_of(v.read8, v, 0), "config:read8: config space VFIO device " .. d.addr
        .. " config region is closed", "closing the device ends its config object")
    end)
  end
end

-- The root port above the resettable ivshmem: AER, masks, Link Disable, retraining.
local port
do
  local real = assert(io.popen("readlink -f /sys/bus/pci/devices/" .. assert(PORT_DEVICE:match("^[%x:.]+$"))))
  port = real:read("l"):match("/(%x+:%x+:%x+%.%x)/[^/]+$")
  real:close()
end
t.ok(port, "the root port above " .. tostring(PORT_DEVICE) .. ": " .. tostring(port))

t.test("AER counters and registers of " .. port, function()
  local a = assert(pci.aer(port), "the root port has AER")
  for _, kind in ipairs{"correctable", "nonfatal", "fatal"} do
    local counts = assert(a[kind], kind .. " counters (aer_dev_" .. kind .. ")")
    local sum, total = 0, nil
    for name, n in pairs(counts) do
      if name:match("^TOTAL_ERR_") then total = n else sum = sum + n end
    end
    t.is(total, sum, kind .. ": TOTAL_ERR_* is the sum of the counters")
  end
  local text = lspci(port)
  local function bits(label)
    local line = text:match("\t\t" .. label .. ":\t([^\n]*)")
    return line
  end
  t.ok(bits("UEMsk"), "lspci shows UEMsk")
  local sdes_masked = a.mask.uncorrectable & (1 << 5) ~= 0
  t.is(bits("UEMsk"):match("SDES([+-])"), sdes_masked and "+" or "-", "mask bit 5 (Surprise Down) as lspci")
  t.is(a.status.uncorrectable & ~a.mask.uncorrectable, 0, "no unmasked uncorrectable error pending")
end)

-- QEMU 7.2 keeps a root port's Uncorrectable Error Mask read-only (writable from QEMU 8.0 on),
-- and Link Disable and Target Link Speed too: barlua must say so instead of pretending.
t.test("aer_mask on " .. port .. " masks and restores", function()
  local before = pci.aer(port).mask
  local want = {uncorrectable = before.uncorrectable | (1 << 5) | (1 << 14), correctable = before.correctable | 1}
  local old, now = pci.aer_mask(port, want)
  t.is(old.uncorrectable, before.uncorrectable, "returns the old uncorrectable mask")
  t.is(old.correctable, before.correctable, "returns the old correctable mask")
  t.is(now.correctable, want.correctable, "Receiver Error masked (the correctable mask is writable)")
  local read = pci.aer(port).mask
  t.is(read.uncorrectable, now.uncorrectable, "the second result is the uncorrectable mask as it reads now")
  t.is(read.correctable, now.correctable, "and the correctable one")
  t.is(lspci(port):match("CEMsk:[^\n]*RxErr([+-])"), "+", "lspci sees RxErr masked")
  local sdes = lspci(port):match("UEMsk:[^\n]*SDES([+-])")
  t.is(sdes, now.uncorrectable & (1 << 5) ~= 0 and "+" or "-", "lspci's SDES mask is what aer_mask read back")
  pci.aer_mask(port, old)
  local after = pci.aer(port).mask
  t.is(after.uncorrectable, before.uncorrectable, "uncorrectable mask restored")
  t.is(after.correctable, before.correctable, "correctable mask restored")
end)

t.test("link control on " .. port, function()
  local l0 = pci.link(port)
  local c <close> = pci.config(port, {write = true})
  local cap = c:find("express")
  local ctl, ctl2 = c:read16(cap + 0x10), c:read16(cap + 0x30)
  local ok, err = pcall(pci.link_disable, port, true)
  if ok then
    t.is(err, false, "Link Disable was clear")
    t.is(pci.link(port).disabled, true, "Link Disable set")
    t.is(pci.link_disable(port, false), true, "cleared again, it was set")
  else
    t.contains(err, "pci.link_disable: /sys/bus/pci/devices/" .. port .. "/config did not take the write of"
      .. " Link Control Link Disable (0x" .. string.format("%x", cap + 0x10) .. "): wrote 0x10 in bits 0x10,"
      .. " it reads back 0x0", "a port that keeps Link Disable read-only is an error saying so")
  end
  t.is(pci.link(port).disabled, false, "Link Disable clear")
  t.is(c:read16(cap + 0x10), ctl, "Link Control as found")
  local l, status = pci.retrain(port, {timeout = 2})
  t.ok(l and l.speed == l0.speed, "retrain returns the link: " .. tostring(status))
  ok, err = pcall(pci.retrain, port, {speed = 2.5, timeout = 2})
  if ok then
    t.is(c:read16(cap + 0x30) & 0xf, 1, "Target Link Speed 2.5 GT/s")
    t.is(lspci(port):match("Target Link Speed: ([%d.]+)GT/s"), "2.5", "lspci sees the target speed")
  else
    t.contains(err, "did not take the write of Link Control 2 Target Link Speed",
      "a read-only target speed is an error")
  end
  c:write16(cap + 0x30, ctl2)
  t.is(c:read16(cap + 0x30), ctl2, "Link Control 2 as found")
  t.is(pci.link(port).speed, l0.speed, "link speed as before")
  t.contains(t.error_of(pci.retrain, PORT_DEVICE), "pci.retrain:", "the device below is refused")
  t.is(pci.device(PORT_DEVICE).vendor, 0x1af4, "the ivshmem behind the port is still there")
end)

-- AER injection through the bed's QEMU monitor (testbed-hotplug aer): a correctable and an
-- uncorrectable error on BARLUA_FLR, counters and status seen moving, a masked error not
-- counted; masks restored and the status bits this test caused cleared (write 1 to clear).
local FLR = os.getenv("BARLUA_FLR")
if not FLR or run("command -v testbed-hotplug") == "" then
  t.skip("AER injection needs the bed's BARLUA_FLR device and testbed-hotplug")
else
  local function inject(args) bed.inject_aer("flr0", args) end
  local settle = bed.settle

  t.test("AER: inject a correctable and an uncorrectable error into " .. FLR, function()
    local c <close> = pci.config(FLR, {write = true})
    local cfg = pcie.bind(c)
    local aer = c:find("aer")
    local devsta = cfg.express.device_status.value
    local a0 = pci.aer(FLR)
    t.is(a0.status.correctable & 1, 0, "Receiver Error status clear before")
    t.is(a0.status.uncorrectable & (1 << 20), 0, "Unsupported Request status clear before")
    t.diag(string.format("Device Control 0x%04x; masks u0x%x c0x%x", cfg.express.device_control.value,
      a0.mask.uncorrectable, a0.mask.correctable))

    -- QEMU before 8.0 sends no ERR_COR message upstream (hw/pci/pcie_aer.c pcie_aer_msg_alldev
    -- passed uncorrectable errors only): the status bits stay set and the kernel counts nothing.
    -- From 8.0 on it routes errors by Device Control's reporting bits ("hw/pci/aer: Add missing
    -- routing for AER errors"), which the kernel sets: the kernel counts the error and clears the
    -- status. The bed tells the guest which QEMU ran (scripts/testbed/guest --qemu).
    local qemu = os.getenv("BARLUA_GUEST_QEMU_VERSION") or ""
    local qemu_major = tonumber(qemu:match("^(%d+)%."))
    t.ok(qemu_major, "the bed names its QEMU version: '" .. qemu .. "'")
    inject("-c 0x1")  -- Receiver Error
    if qemu_major and qemu_major >= 8 then
      t.ok(settle(function() return pci.aer(FLR).correctable.RxErr == a0.correctable.RxErr + 1 end),
        "QEMU " .. qemu .. " reports it: the kernel counted RxErr")
      t.ok(settle(function() return pci.aer(FLR).status.correctable & 1 == 0 end),
        "and cleared the Receiver Error status after handling it")
    else
      t.ok(settle(function() return pci.aer(FLR).status.correctable & 1 ~= 0 end), "Receiver Error status set")
      local a1 = pci.aer(FLR)
      t.contains(table.concat(a1.status.correctable_errors, " "), "RxErr", "decoded as RxErr")
      t.ok(cfg.express.device_status.correctable_error_detected == 1, "Device Status: Correctable Error Detected")
      time.sleep(0.5)
      t.is(pci.aer(FLR).correctable.RxErr, a0.correctable.RxErr,
        "QEMU " .. qemu .. " sends no ERR_COR upstream: the RxErr counter stays")
    end

    inject("0x100000")  -- Unsupported Request (non-fatal by the severity register)
    t.ok(settle(function() return pci.aer(FLR).status.uncorrectable & (1 << 20) ~= 0 end), "UR status set")
    t.ok(settle(function() return pci.aer(FLR).nonfatal.UnsupReq == a0.nonfatal.UnsupReq + 1 end),
      "the kernel counted it: UnsupReq " .. a0.nonfatal.UnsupReq .. " -> " .. pci.aer(FLR).nonfatal.UnsupReq)
    t.is(pci.aer(FLR).nonfatal.TOTAL_ERR_NONFATAL, a0.nonfatal.TOTAL_ERR_NONFATAL + 1, "and in its total")
    t.contains(table.concat(pci.aer(FLR).status.uncorrectable_errors, " "), "UnsupReq", "decoded as UnsupReq")

    -- Mask Receiver Error: the next one sets the status bit but sends no message.
    c:write32(aer + 0x10, 1)  -- clear RxErr status first
    t.is(pci.aer(FLR).status.correctable & 1, 0, "RxErr status cleared by writing 1")
    local old = pci.aer_mask(FLR, {correctable = a0.mask.correctable | 1})
    local counted = pci.aer(FLR).correctable.RxErr
    inject("-c 0x1")
    t.ok(settle(function() return pci.aer(FLR).status.correctable & 1 ~= 0 end), "masked RxErr still sets status")
    time.sleep(0.5)
    t.is(pci.aer(FLR).correctable.RxErr, counted, "a masked error is not counted")
    t.is(pci.aer(FLR).status.uncorrectable & (1 << 20), 1 << 20, "the UR status stays until cleared")
    pci.aer_mask(FLR, old)
    t.is(pci.aer(FLR).mask.correctable, a0.mask.correctable, "correctable mask restored")

    -- Leave the device as found: clear the status bits this test set.
    c:write32(aer + 0x10, 1)
    c:write32(aer + 0x04, 1 << 20)
    c:write16(c:find("express") + 0x0a, cfg.express.device_status.value & ~devsta)
    local a2 = pci.aer(FLR)
    t.is(a2.status.correctable, a0.status.correctable, "correctable status as found")
    t.is(a2.status.uncorrectable, a0.status.uncorrectable, "uncorrectable status as found")
    t.is(cfg.express.device_status.value, devsta, "Device Status as found")
  end)
end

t.done()
