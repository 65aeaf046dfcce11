#!/usr/bin/env barlua
-- What the bed's second QEMU (Debian bookworm-backports' QEMU 10, `scripts/testbed/guest --qemu
-- backports`) shows of issue #23 that the machine's QEMU 7.2 cannot: a root port's writable
-- Uncorrectable Error Mask (set, read back, restored; reload.lua really masking Surprise Down),
-- AER errors injected and counted, root ports of set link speeds and widths, and FLR on a
-- device with a memory BAR (an NVMe controller memory buffer) with its persistence result.
-- This file runs only in the suite's backports boots (a folder of its own, outside the
-- ordinary boots' `prove Tests/guest`); in any other guest it fails rather than skip.
-- What QEMU does is asserted as its source says (file and function named at each check).
local t = require "barlua.test"

if os.getenv("BARLUA_GUEST") ~= "1" then t.skip("needs the test bed guest (scripts/testbed/guest --qemu backports)") end
local function env(name) return os.getenv(name) end
local OUT = env("BARLUA_OUT") or "/tmp"

local bed = require "bed"
local run, lspci = bed.run, bed.lspci
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The boot must be a backports one: everything below needs it, and nothing is skipped.
t.is(env("BARLUA_GUEST_QEMU"), "backports", "the bed ran the backports QEMU (guest --qemu backports)")
local major = tonumber((env("BARLUA_GUEST_QEMU_VERSION") or ""):match("^(%d+)%."))
t.ok(major and major >= 8, "QEMU 8.0 or newer: " .. tostring(env("BARLUA_GUEST_QEMU_VERSION")))
local FLR, FLR_PORT = env("BARLUA_FLR"), env("BARLUA_FLR_PORT")
local HOTPLUG, HPORT = env("BARLUA_IVSHMEM_HOTPLUG"), env("BARLUA_HOTPLUG_PORT")
local NVME, NVME_PORT, LINK_PORT = env("BARLUA_NVME"), env("BARLUA_NVME_PORT"), env("BARLUA_LINK_PORT")
for name, v in pairs { BARLUA_FLR = FLR, BARLUA_FLR_PORT = FLR_PORT, BARLUA_IVSHMEM_HOTPLUG = HOTPLUG,
  BARLUA_HOTPLUG_PORT = HPORT, BARLUA_NVME = NVME, BARLUA_NVME_PORT = NVME_PORT, BARLUA_LINK_PORT = LINK_PORT } do
  if not (v and v:match("^%x%x%x%x:%x%x:%x%x%.%x$")) then
    t.ok(false, name .. " is not set: this file needs the backports bed's devices")
    t.done()
    return
  end
end

local SDES, CMPLT_TO, UR = 1 << 5, 1 << 14, 1 << 20

-- 1. The Uncorrectable Error Mask of a root port is writable (QEMU 8.0 on: hw/pci/pcie_aer.c
-- pcie_aer_init sets its wmask when x-pcie-err-unc-mask is on, the default of machine types
-- after 7.2; QEMU 7.2 left it read-only).
t.test("aer_mask on the root port " .. FLR_PORT .. ": set, read back, restored", function()
  local before = pci.aer(FLR_PORT).mask
  t.is(before.uncorrectable & (SDES | CMPLT_TO), 0, "Surprise Down and Completion Timeout unmasked at first")
  local old, now = pci.aer_mask(FLR_PORT, { uncorrectable = before.uncorrectable | SDES | CMPLT_TO })
  t.is(old.uncorrectable, before.uncorrectable, "returns the old mask")
  t.is(now.uncorrectable, before.uncorrectable | SDES | CMPLT_TO, "the port keeps the new mask")
  t.is(pci.aer(FLR_PORT).mask.uncorrectable, now.uncorrectable, "pci.aer reads it")
  local text = lspci(FLR_PORT)
  t.is(text:match("UEMsk:[^\n]*SDES([+-])"), "+", "lspci: SDES masked")
  t.is(text:match("UEMsk:[^\n]*CmpltTO([+-])"), "+", "lspci: CmpltTO masked")
  pci.aer_mask(FLR_PORT, old)
  t.is(pci.aer(FLR_PORT).mask.uncorrectable, before.uncorrectable, "restored")
  t.is(lspci(FLR_PORT):match("UEMsk:[^\n]*SDES([+-])"), "-", "lspci: SDES unmasked again")
end)

-- 2. AER injection into BARLUA_FLR (QEMU id flr0) through testbed-hotplug.
local function inject(args) bed.inject_aer("flr0", args) end
local settle = bed.settle

t.test("AER: a correctable and an uncorrectable error injected into " .. FLR .. ", masked and not", function()
  local c <close> = pci.config(FLR, { write = true })
  local aer, exp = c:find("aer"), c:find("express")
  local devsta = c:read16(exp + 0x0a)
  local a0 = pci.aer(FLR)
  t.is(a0.status.correctable & 1, 0, "Receiver Error status clear before")
  t.is(a0.status.uncorrectable & UR, 0, "Unsupported Request status clear before")

  -- Correctable: QEMU sends ERR_COR upstream from 8.0 on (hw/pci/pcie_aer.c
  -- pcie_aer_msg_alldev routes an error whose Device Control reporting bit is set: "hw/pci/aer:
  -- Add missing routing for AER errors"; QEMU 7.2 sent only uncorrectable ones, with SERR#).
  -- The kernel (which sets Correctable Error Reporting Enable) counts it, logs it, and clears
  -- the device's status bit after handling it.
  local dmesg0 = #run("dmesg")
  inject("-c 0x1")
  t.ok(settle(function() return pci.aer(FLR).correctable.RxErr == a0.correctable.RxErr + 1 end),
    "the kernel counted it: RxErr " .. a0.correctable.RxErr .. " -> " .. pci.aer(FLR).correctable.RxErr)
  t.is(pci.aer(FLR).correctable.TOTAL_ERR_COR, a0.correctable.TOTAL_ERR_COR + 1, "and in its total")
  local log = run("dmesg"):sub(dmesg0 + 1)
  t.ok(log:find(FLR .. ": PCIe Bus Error: severity=Correct", 1, true), "the kernel logged a corrected error of " .. FLR)
  t.ok(log:find("RxErr", 1, true), "named RxErr")
  t.ok(settle(function() return pci.aer(FLR).status.correctable & 1 == 0 end),
    "the kernel cleared the Receiver Error status after handling it")

  -- Masked: QEMU sets the status (and Device Status' Correctable Error Detected) and sends
  -- nothing (pcie_aer_inject_cor_error returns false when the mask covers the error).
  local oldc = pci.aer_mask(FLR, { correctable = a0.mask.correctable | 1 })
  c:write16(exp + 0x0a, 1)  -- clear Correctable Error Detected (write 1 to clear)
  inject("-c 0x1")
  t.ok(settle(function() return pci.aer(FLR).status.correctable & 1 ~= 0 end), "a masked Receiver Error sets status")
  t.contains(table.concat(pci.aer(FLR).status.correctable_errors, " "), "RxErr", "decoded as RxErr")
  t.ok(c:read16(exp + 0x0a) & 1 ~= 0, "Device Status: Correctable Error Detected")
  time.sleep(0.5)
  t.is(pci.aer(FLR).correctable.RxErr, a0.correctable.RxErr + 1, "a masked error is not counted")
  pci.aer_mask(FLR, oldc)
  t.is(pci.aer(FLR).mask.correctable, a0.mask.correctable, "correctable mask restored")
  c:write32(aer + 0x10, 1)
  t.is(pci.aer(FLR).status.correctable & 1, 0, "Receiver Error status cleared by writing 1")

  -- Uncorrectable (UR, non-fatal by the severity register): status and the kernel's counters.
  inject("0x100000")
  t.ok(settle(function() return pci.aer(FLR).status.uncorrectable & UR ~= 0 end), "UR status set")
  t.ok(settle(function() return pci.aer(FLR).nonfatal.UnsupReq == a0.nonfatal.UnsupReq + 1 end),
    "the kernel counted it: UnsupReq " .. a0.nonfatal.UnsupReq .. " -> " .. pci.aer(FLR).nonfatal.UnsupReq)
  t.is(pci.aer(FLR).nonfatal.TOTAL_ERR_NONFATAL, a0.nonfatal.TOTAL_ERR_NONFATAL + 1, "and in its total")
  t.contains(table.concat(pci.aer(FLR).status.uncorrectable_errors, " "), "UnsupReq", "decoded as UnsupReq")

  -- Masked on the device (its uncorrectable mask is writable on this QEMU too): the status bit
  -- is set, no message is sent (pcie_aer_inject_uncor_error returns false), nothing counted.
  c:write32(aer + 0x04, UR)
  t.is(pci.aer(FLR).status.uncorrectable & UR, 0, "UR status cleared by writing 1")
  local old, now = pci.aer_mask(FLR, { uncorrectable = a0.mask.uncorrectable | UR })
  t.is(now.uncorrectable, a0.mask.uncorrectable | UR, "the device keeps UR masked")
  local counted = pci.aer(FLR).nonfatal.UnsupReq
  inject("0x100000")
  t.ok(settle(function() return pci.aer(FLR).status.uncorrectable & UR ~= 0 end), "a masked UR still sets status")
  time.sleep(0.5)
  t.is(pci.aer(FLR).nonfatal.UnsupReq, counted, "a masked error is not counted")
  pci.aer_mask(FLR, old)
  t.is(pci.aer(FLR).mask.uncorrectable, a0.mask.uncorrectable, "uncorrectable mask restored")

  -- Leave the device as found.
  c:write32(aer + 0x10, 1)
  c:write32(aer + 0x04, UR)
  c:write16(exp + 0x0a, c:read16(exp + 0x0a) & ~devsta)
  local a2 = pci.aer(FLR)
  t.is(a2.status.correctable, a0.status.correctable, "correctable status as found")
  t.is(a2.status.uncorrectable, a0.status.uncorrectable, "uncorrectable status as found")
  t.is(c:read16(exp + 0x0a), devsta, "Device Status as found")
  t.is(pci.device(FLR).driver, "virtio-pci", "still on its driver")
end)

-- 3. reload.lua masks Surprise Down and Completion Timeout on the hotplug port for real, and
-- puts the mask back; the program sees the mask set while it runs.
t.test("reload.lua masks Surprise Down on " .. HPORT .. " while the card is reprogrammed", function()
  local mask0 = pci.aer(HPORT).mask.uncorrectable
  local during = OUT .. "/uemsk-during"
  local program = "lspci -vvv -s " .. HPORT .. " 2>/dev/null | grep UEMsk >" .. during
    .. " && testbed-hotplug reload --keep"
  local log = OUT .. "/reload-backports.out"
  local _, _, code = os.execute("barlua scripts/reload.lua --device " .. HOTPLUG .. " --program " .. q(program)
    .. " >" .. log .. " 2>&1")
  local f = assert(io.open(log))
  local text = f:read("a")
  f:close()
  t.is(code, 0, "exit status 0")
  t.contains(text, string.format("masked Surprise Down and Completion Timeout on %s "
    .. "(uncorrectable mask 0x%08x -> 0x%08x)", HPORT, mask0, mask0 | SDES | CMPLT_TO),
    "the port keeps the mask, and the report says so")
  t.ok(not text:find("WARNING", 1, true), "no WARNING")
  t.contains(text, "restore: AER masks of " .. HPORT .. " put back", "masks put back")
  local df = assert(io.open(during))
  local line = df:read("a")
  df:close()
  t.is(line:match("SDES([+-])"), "+", "while the program ran, lspci saw SDES masked")
  t.is(line:match("CmpltTO([+-])"), "+", "and CmpltTO")
  t.is(pci.aer(HPORT).mask.uncorrectable, mask0, "the mask is as before")
  t.is(pci.device(HOTPLUG).driver, "vfio-pci", "the card is bound to vfio-pci as before")
  if code ~= 0 then t.diag(text) end
end)

-- 4. Link speed and width set by x-speed / x-width (qemu.sh). QEMU fills the port's Link
-- Capabilities from them (hw/pci/pcie.c pcie_cap_fill_slot_lnk); an empty port's Link Status
-- is its capability, a populated one's is the device's own link (pcie_sync_bridge_lnk: the
-- emulated NVMe endpoint reports 2.5 GT/s x1).
local function want(var)
  local s, w = assert(env(var), var):match("^([%d.]+)x(%d+)$")
  return tonumber(s), tonumber(w)
end
local function lspci_link(addr)
  local text = lspci(addr)
  local cap = text:match("LnkCap:([^\n]*)")
  local sta = text:match("LnkSta:([^\n]*)")
  return tonumber(cap:match("Speed ([%d.]+)GT/s")), tonumber(cap:match("Width x(%d+)")),
    tonumber(sta:match("Speed ([%d.]+)GT/s")), tonumber(sta:match("Width x(%d+)"))
end

t.test("root port " .. LINK_PORT .. " (empty): link at x-speed/x-width, as lspci", function()
  local speed, width = want("BARLUA_LINK_PORT_LINK")
  local l = pci.link(LINK_PORT)
  t.is(l.max_speed, speed, "max_speed = x-speed")
  t.is(l.max_width, width, "max_width = x-width")
  t.is(l.speed, speed, "speed = x-speed (nothing behind the port)")
  t.is(l.width, width, "width = x-width")
  local ms, mw, s, w = lspci_link(LINK_PORT)
  t.is(l.max_speed, ms, "max_speed as lspci")
  t.is(l.max_width, mw, "max_width as lspci")
  t.is(l.speed, s, "speed as lspci")
  t.is(l.width, w, "width as lspci")
  local r, status = pci.retrain(LINK_PORT, { timeout = 2 })
  t.ok(r, "retrain returns the link: " .. tostring(status))
  t.is(r and r.speed, speed, "retrained at x-speed")
  t.is(r and r.width, width, "and x-width")
  -- Target Link Speed = the current speed: the port already holds it.
  r = pci.retrain(LINK_PORT, { speed = speed, timeout = 2 })
  t.is(r and r.speed, speed, "retrain{speed = x-speed} trains at it")
end)

t.test("root port " .. NVME_PORT .. " with the NVMe behind: capability at x-speed/x-width, status the device's",
function()
  local speed, width = want("BARLUA_NVME_PORT_LINK")
  local l = pci.link(NVME_PORT)
  local ms, mw, s, w = lspci_link(NVME_PORT)
  t.is(l.max_speed, speed, "max_speed = x-speed")
  t.is(l.max_width, width, "max_width = x-width")
  t.is(l.speed, 2.5, "speed: the NVMe endpoint's 2.5 GT/s")
  t.is(l.width, 1, "width: x1")
  t.is(l.degraded, false, "a downstream port is never 'degraded' (lspci's rule)")
  t.is(l.max_speed, ms, "max_speed as lspci")
  t.is(l.max_width, mw, "max_width as lspci")
  t.is(l.speed, s, "speed as lspci")
  t.is(l.width, w, "width as lspci")
  local d = pci.link(NVME)
  t.is(d.speed, 2.5, "the NVMe's own link: 2.5 GT/s")
  t.is(d.width, 1, "x1")
end)

-- Link Disable and a lower Target Link Speed: no QEMU implements them. Link Control's only
-- writable bits are Common Clock Configuration and Extended Synch (hw/pci/pcie.c
-- pcie_cap_lnkctl_init); Link Control 2 has no writable bit at all (pcie_cap_fill_slot_lnk
-- sets its Target Link Speed once, to the port's maximum). barlua must say so.
t.test("Link Disable and Target Link Speed are read-only in QEMU: errors, port untouched", function()
  local speed = want("BARLUA_LINK_PORT_LINK")
  local c <close> = pci.config(LINK_PORT)
  local cap = c:find("express")
  local ctl, ctl2 = c:read16(cap + 0x10), c:read16(cap + 0x30)
  t.contains(t.error_of(pci.link_disable, LINK_PORT, true), "did not take the write of Link Control Link Disable",
    "pci.link_disable: the port keeps Link Disable read-only")
  t.contains(t.error_of(pci.retrain, LINK_PORT, { speed = 2.5 }),
    "did not take the write of Link Control 2 Target Link Speed", "pci.retrain{speed = 2.5}: read-only target speed")
  t.is(c:read16(cap + 0x10), ctl, "Link Control as found")
  t.is(c:read16(cap + 0x30), ctl2, "Link Control 2 as found")
  t.is(pci.link(LINK_PORT).speed, speed, "link speed as before")
end)

-- 5. FLR on a device with a memory BAR: the NVMe's controller memory buffer (BAR2). QEMU keeps
-- the buffer in n->cmb.buf, allocated zeroed once at realize (hw/nvme/ctrl.c nvme_init_cmb)
-- and read and written as it is (nvme_cmb_read / nvme_cmb_write); nvme_ctrl_reset, which FLR
-- runs (pcie_cap_flr_write_config -> pci_device_reset), resets queues and registers and leaves
-- the buffer alone: FLR keeps the CMB.
local function persistence(args) return bed.persistence(args, "persistence-nvme.out") end
local row = bed.matrix_row

t.test("NVMe " .. NVME .. ": reset methods and its BARs", function()
  local f = assert(io.open("/sys/bus/pci/devices/" .. NVME .. "/reset_method"))
  local methods = f:read("l")
  f:close()
  t.contains(methods, "flr", "the kernel offers flr (QEMU's nvme calls pcie_cap_flr_init)")
  t.is(pci.device(NVME).driver, "vfio-pci", "on vfio-pci (the bed loads no nvme driver)")
  local d <close> = vfio.open(NVME)
  local bar <close> = d:map(2)
  t.is(bar.size, 1 << 20, "BAR2 is the 1 MiB controller memory buffer (cmb_size_mb=1)")
end)

do
  local code = persistence("--device " .. NVME .. " --bar 2")
  local text
  t.is(code, 0, "persistence.lua --bar 2 on the NVMe: exit 0")
  code, text = persistence("--device " .. NVME .. " --bar 2 --reset flr")
  t.is(code, 0, "--reset flr: exit 0")
  t.contains(text, "device reset before the test: sysfs reset, method flr", "the FLR is named")
  t.contains(text, "already initialised", "the record in the CMB survived the FLR")
  if code ~= 0 then t.diag(text) end

  code, text = persistence("--device " .. NVME .. " --bar 2 --matrix")
  t.is(code, 0, "--matrix on the NVMe's BAR2: exit 0")
  t.is(row(text, "flr"), "kept", "flr: the CMB is kept")
  t.is(row(text, "rerun"), "kept", "rerun: kept")
  t.ok(row(text, "vfio"), "a vfio row: " .. tostring(row(text, "vfio")))
  t.diag(text:match("condition[^\n]*\n.*") or text)

  -- Every BAR: BAR0 is the controller's registers (a record written there does not read back).
  code, text = persistence("--device " .. NVME .. " --matrix")
  t.is(code, 0, "--matrix on the whole NVMe: exit 0")
  t.contains(text, "condition  BAR0", "the table has BAR0 and BAR2")
  t.is(row(text, "flr"), "not memory kept", "flr: BAR0 registers are not memory, the CMB is kept")
  if code ~= 0 then t.diag(text) end
  t.is(pci.device(NVME).driver, "vfio-pci", "the NVMe ends on vfio-pci")
end

t.done()
