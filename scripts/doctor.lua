#!/usr/bin/env barlua
-- doctor: what will stop mapping, VFIO (type1 and no-IOMMU), DMA, interrupts or PAT tracing on
-- this machine (and for one device), read from what the system shows: the kernel command
-- line, lockdown, /sys/class/iommu, the loaded modules and their parameters, group viability,
-- device node permissions, RLIMIT_MEMLOCK, vm.nr_hugepages, kernel.dmesg_restrict, debugfs,
-- debugpat, iomem=. One line per check: ok / warn / fail, the evidence, and the fix.
--   barlua-doctor [ADDR] [--json]          exit 0 when nothing fails, 1 when something does
-- Reads only; opens nothing that changes a device (no group or device fd is opened: opening a
-- VFIO device can reset it). /sys is read under the root BARLUA_SYSFS_PCI points into
-- (ROOT/bus/pci/devices), so tests can use captured trees; /proc and /dev are the system's.
local argparse = require "argparse"
local sys = require "barlua.sys"

local parser = argparse("barlua-doctor",
  "Check what this machine needs for barlua's mapping, VFIO, DMA, interrupts and PAT tracing.")
parser:argument("addr", "PCI address of a device to check as well, e.g. 0000:15:00.0."):args("?")
parser:flag("--json", "Write the checks as JSON.")
parser:epilog("Each line: ok / warn / fail, the check, what the system shows, and the fix. "
  .. "Exit status 0 when nothing fails.")
local args = parser:parse()

-- Where /sys is: the root above BARLUA_SYSFS_PCI's bus/pci/devices, else /sys.
local pci_root = os.getenv("BARLUA_SYSFS_PCI")
if not pci_root or pci_root == "" then pci_root = "/sys/bus/pci/devices" end
local sysfs = pci_root:match("^(.*)/bus/pci/devices/?$") or "/sys"

local checks = {}

-- System text shown on a terminal: control characters and non-ASCII escaped.
local function clean(s)
  return (tostring(s):gsub("[%c\128-\255]", function(c) return string.format("\\x%02x", c:byte()) end))
end

local function add(area, name, status, evidence, fix)
  checks[#checks + 1] = { area = area, name = name, status = status, evidence = clean(evidence),
    fix = fix and clean(fix) or nil }
end

-- The first line of a (small, system) file, or nil and why.
local function read(path, max)
  local f, e = io.open(path, "rb")
  if not f then return nil, e end
  local ok, s = pcall(f.read, f, max or 65536)
  f:close()
  if not ok then return nil, path .. ": " .. tostring(s) end
  return s or ""
end

local function first_line(path)
  local s, e = read(path, 4096)
  if not s then return nil, e end
  return (s:match("^[^\n]*"))
end

local function exists(path) return sys.stat(path) ~= nil end

local function list_dir(path)
  -- Lua has no readdir; sysfs folders are listed through a safe ls invocation: the path is
  -- quoted for the shell and nothing it prints is executed.
  local names = {}
  local st = sys.stat(path)
  if not st or (st.type ~= "directory" and st.type ~= "link") then return names end
  local p = io.popen("ls -1A -- '" .. path:gsub("'", "'\\''") .. "' 2>/dev/null", "r")
  if not p then return names end
  for line in p:lines() do names[#names + 1] = line end
  p:close()
  table.sort(names)
  return names
end

local ids = sys.ids()
local root = ids.euid == 0

-- Effective capabilities (CapEff in /proc/self/status), bit n = capability n.
local function has_cap(bit)
  local s = read("/proc/self/status") or ""
  local hex = s:match("CapEff:%s*(%x+)")
  if not hex then return root end
  local v = tonumber(hex:sub(-15), 16) or 0 -- the low 60 bits are enough for bits < 60
  return (v >> bit) & 1 == 1
end
local CAP_IPC_LOCK, CAP_SYSLOG = 14, 34

local cmdline = first_line("/proc/cmdline") or ""
local function cmd_value(key)
  local v
  for tok in cmdline:gmatch("%S+") do
    local k, val = tok:match("^([^=]+)=(.*)$")
    if (k or tok) == key then v = val or true end
  end
  return v
end
local kernel = first_line("/proc/sys/kernel/osrelease") or "?"

-- Privileges ------------------------------------------------------------------------------
if root then
  add("system", "privileges", "ok", "running as root (euid 0), kernel " .. kernel)
else
  add("system", "privileges", "warn", string.format("running as uid %d, kernel %s", ids.euid,
    kernel), "run as root, or give this user the device nodes (/dev/vfio/N: chown or a udev "
    .. "rule) and the limits below")
end

-- Lockdown --------------------------------------------------------------------------------
local lockdown_path = sysfs .. "/kernel/security/lockdown"
local lockdown = first_line(lockdown_path)
local lockdown_mode = lockdown and lockdown:match("%[(%a+)%]") or nil
if not lockdown then
  add("mapping", "lockdown", "ok", lockdown_path .. " absent: no lockdown LSM")
elseif lockdown_mode == "none" then
  add("mapping", "lockdown", "ok", lockdown_path .. ": " .. lockdown)
else
  add("mapping", "lockdown", "fail", string.format("%s: %s (lockdown=%s refuses mmap of sysfs "
    .. "resource files, /dev/mem and debugfs' pat_memtype_list)", lockdown_path, lockdown,
    tostring(lockdown_mode)), "boot without lockdown= (and with Secure Boot off or `mokutil "
    .. "--disable-validation`), or use VFIO only (device:map works under lockdown)")
end

-- iomem= ----------------------------------------------------------------------------------
local iomem = cmd_value("iomem")
if iomem == "relaxed" then
  add("mapping", "iomem", "ok", "iomem=relaxed: sysfs may map BARs a driver has claimed")
else
  add("mapping", "iomem", "ok", "iomem=" .. (type(iomem) == "string" and iomem or "strict (default)")
    .. ": pci.map of a BAR a driver holds (an open VFIO device too) fails with EINVAL; free "
    .. "BARs map")
end

-- IOMMU and VFIO modules ------------------------------------------------------------------
local iommus = list_dir(sysfs .. "/class/iommu")
local iommu_off = cmd_value("intel_iommu") == "off" or cmd_value("amd_iommu") == "off"
  or cmd_value("iommu") == "off"
local function module_loaded(name) return exists(sysfs .. "/module/" .. name) end
local function param(mod, p) return first_line(sysfs .. "/module/" .. mod .. "/parameters/" .. p) end

local mods = { vfio = module_loaded("vfio"), vfio_pci = module_loaded("vfio_pci"),
  vfio_iommu_type1 = module_loaded("vfio_iommu_type1") }
local noiommu_param_path = sysfs .. "/module/vfio/parameters/enable_unsafe_noiommu_mode"
local noiommu = param("vfio", "enable_unsafe_noiommu_mode")
local noiommu_on = noiommu == "Y" or noiommu == "1"
local type1_possible = #iommus > 0 and mods.vfio_iommu_type1
local mode = type1_possible and "type1" or (noiommu_on and "noiommu" or nil)

if #iommus > 0 then
  add("vfio", "iommu", "ok", sysfs .. "/class/iommu: " .. table.concat(iommus, ", "))
elseif noiommu_on then
  add("vfio", "iommu", "ok", sysfs .. "/class/iommu is empty" .. (iommu_off and
    " (the command line turns it off)" or "") .. "; no-IOMMU mode is on instead (no isolation: "
    .. "the device can reach all memory; for isolation enable the IOMMU)")
else
  add("vfio", "iommu", "fail", sysfs .. "/class/iommu is empty" .. (iommu_off and
    " (the command line turns it off: " .. cmdline:match("%S*iommu=off%S*") .. ")" or ""),
    "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (or amd_iommu=on); "
    .. "or, without isolation, no-IOMMU mode (see vfio.noiommu)")
end

local missing = {}
for _, m in ipairs({ "vfio", "vfio_pci", "vfio_iommu_type1" }) do
  if not mods[m] and not (m == "vfio_iommu_type1" and noiommu_on) then missing[#missing + 1] = m end
end
if #missing == 0 then
  local have = {}
  for _, m in ipairs({ "vfio", "vfio_pci", "vfio_iommu_type1" }) do
    if mods[m] then have[#have + 1] = m end
  end
  add("vfio", "modules", "ok", "loaded: " .. table.concat(have, ", "))
else
  add("vfio", "modules", "fail", "not loaded (no " .. sysfs .. "/module/NAME): "
    .. table.concat(missing, ", "), "modprobe vfio-pci" .. (mods.vfio_iommu_type1 and ""
      or " vfio_iommu_type1") .. " (and list them in /etc/modules-load.d/ to keep them)")
end

if noiommu == nil then
  add("vfio", "noiommu", #iommus > 0 and "ok" or (mods.vfio and "fail" or "warn"),
    noiommu_param_path .. " absent: the kernel has no CONFIG_VFIO_NOIOMMU" .. (#iommus > 0 and
      " (not needed: there is an IOMMU)" or ""), #iommus == 0 and
      "use a kernel built with CONFIG_VFIO_NOIOMMU=y, or enable the IOMMU" or nil)
elseif noiommu_on then
  add("vfio", "noiommu", "ok", noiommu_param_path .. " = " .. noiommu
    .. (#iommus > 0 and " (unused while an IOMMU is present)" or
      ": groups appear as /dev/vfio/noiommu-N (taints the kernel)"))
elseif #iommus > 0 then
  add("vfio", "noiommu", "ok", noiommu_param_path .. " = " .. noiommu .. " (not needed: there is "
    .. "an IOMMU)")
else
  add("vfio", "noiommu", "fail", noiommu_param_path .. " = " .. noiommu
    .. " and there is no IOMMU: VFIO cannot open any device",
    "echo 1 > " .. noiommu_param_path .. " (or boot with vfio.enable_unsafe_noiommu_mode=1) "
      .. "and rebind the device to vfio-pci")
end

-- Interrupt remapping: type1 refuses to attach a group without it unless told to.
if mode == "type1" then
  local unsafe = param("vfio_iommu_type1", "allow_unsafe_interrupts")
  local interrupts = read("/proc/interrupts", 1048576) or ""
  local remapped = interrupts:find("IR%-") ~= nil
  if remapped then
    add("irq", "remapping", "ok", "/proc/interrupts shows IR- (remapped) interrupt chips")
  elseif unsafe == "Y" then
    add("irq", "remapping", "warn", "no interrupt remapping; vfio_iommu_type1."
      .. "allow_unsafe_interrupts = Y lets VFIO attach anyway (a device can forge MSIs)",
      "enable interrupt remapping (intremap=on, x2APIC in the firmware)")
  else
    add("irq", "remapping", "fail", "no IR- interrupt chips in /proc/interrupts and "
      .. "vfio_iommu_type1.allow_unsafe_interrupts = " .. tostring(unsafe)
      .. ": VFIO refuses to attach groups", "enable interrupt remapping (intremap=on), or "
      .. "modprobe vfio_iommu_type1 allow_unsafe_interrupts=1 (unsafe)")
  end
end

-- /dev/vfio/vfio --------------------------------------------------------------------------
local container = "/dev/vfio/vfio"
if not exists(container) then
  add("vfio", "container", "fail", container .. " does not exist",
    "modprobe vfio (udev creates the node)")
else
  local ok, why = sys.access(container, "rw")
  if ok then
    add("vfio", "container", "ok", container .. " readable and writable")
  else
    add("vfio", "container", "fail", container .. ": " .. tostring(why),
      "run as root, or chmod 0666 " .. container .. " (the kernel's default)")
  end
end

-- Devices and groups ----------------------------------------------------------------------
local function group_check(d, name)
  if not d.iommu_group then
    add("vfio", name, "fail", d.addr .. " has no IOMMU group", "enable the IOMMU, or no-IOMMU mode")
    return
  end
  local node = d.group_path
  if not node then
    local plain, noio = "/dev/vfio/" .. d.iommu_group, "/dev/vfio/noiommu-" .. d.iommu_group
    node = exists(noio) and noio or plain
  end
  if d.viable == false then
    add("vfio", name, "fail", string.format("%s: IOMMU group %d is not viable (a member is on "
      .. "another driver)", d.addr, d.iommu_group), "bind every device of "
      .. sysfs .. "/kernel/iommu_groups/" .. d.iommu_group .. "/devices to vfio-pci (or none)")
    return
  end
  local st = sys.stat(node)
  if not st then
    add("vfio", name, "fail", node .. " does not exist", "rebind " .. d.addr .. " to vfio-pci")
    return
  end
  local ok, why = sys.access(node, "rw")
  if ok then
    add("vfio", name, "ok", string.format("%s group %s: mode %04o uid %d, readable and writable",
      d.addr, node, st.mode, st.uid))
  else
    add("vfio", name, "fail", string.format("%s group %s: mode %04o uid %d: %s", d.addr, node,
      st.mode, st.uid, tostring(why)), string.format("run as root, or chown %s %s (a udev rule: "
      .. "SUBSYSTEM==\"vfio\", OWNER=\"%s\")", ids.euid, node, ids.euid))
  end
end

local vlist = {}
do
  local ok, l = pcall(vfio.devices)
  if ok then vlist = l end
end

local target
if args.addr then
  local ok, d = pcall(pci.device, args.addr)
  if not ok then
    add("device", "device", "fail", tostring(d), "check the address with barlua-dump-info")
  else
    target = d
    add("device", "device", "ok", string.format("%s %04x:%04x%s, driver %s", d.addr,
      d.vendor or 0, d.device or 0, d.device_name and (" " .. d.device_name) or "",
      d.driver or "none"))
    if d.driver ~= "vfio-pci" then
      add("vfio", "driver", "fail", d.addr .. " is bound to " .. (d.driver or "no driver"),
        "bind it to vfio-pci: barlua -e 'pci.bind(\"" .. d.addr .. "\", \"vfio-pci\")'"
          .. " (or driverctl set-override " .. d.addr .. " vfio-pci)")
    else
      add("vfio", "driver", "ok", d.addr .. " is bound to vfio-pci")
      for _, v in ipairs(vlist) do
        if v.addr == d.addr then group_check(v, "group") end
      end
    end
  end
else
  if #vlist == 0 then
    add("vfio", "group", "warn", "no device is bound to vfio-pci",
      "bind the device to test: barlua -e 'pci.bind(ADDR, \"vfio-pci\")'")
  end
  for _, v in ipairs(vlist) do group_check(v, "group") end
end

-- DMA -------------------------------------------------------------------------------------
local soft = sys.memlock()
local function kib(n) return n < 0 and "unlimited" or string.format("%d KiB", n // 1024) end
if has_cap(CAP_IPC_LOCK) then
  add("dma", "memlock", "ok", "RLIMIT_MEMLOCK " .. kib(soft) .. ", not enforced: this process "
    .. "has CAP_IPC_LOCK")
elseif soft < 0 or soft >= 64 * 1048576 then
  add("dma", "memlock", "ok", "RLIMIT_MEMLOCK " .. kib(soft))
else
  add("dma", "memlock", soft < 1048576 and "fail" or "warn", "RLIMIT_MEMLOCK " .. kib(soft)
    .. " without CAP_IPC_LOCK: DMA buffers beyond it fail", "raise it: `ulimit -l unlimited` "
    .. "(or a memlock line in /etc/security/limits.conf, LimitMEMLOCK= for a service), or run "
    .. "as root")
end

local nr = tonumber(first_line("/proc/sys/vm/nr_hugepages") or "")
local meminfo = read("/proc/meminfo") or ""
local free_huge = tonumber(meminfo:match("HugePages_Free:%s*(%d+)") or "")
local huge_size = meminfo:match("Hugepagesize:%s*(%d+ kB)") or "?"
if mode == "noiommu" then
  if nr and nr > 0 and (free_huge or 1) > 0 then
    add("dma", "hugepages", "ok", string.format("vm.nr_hugepages = %d (%s free, %s each): "
      .. "no-IOMMU DMA buffers larger than a page can be made", nr, tostring(free_huge), huge_size))
  else
    add("dma", "hugepages", "warn", string.format("vm.nr_hugepages = %s, %s free: in no-IOMMU "
      .. "mode a DMA buffer larger than a page needs huge pages", tostring(nr),
      tostring(free_huge)), "sysctl vm.nr_hugepages=4 (or hugepages=N on the command line)")
  end
else
  add("dma", "hugepages", "ok", string.format("vm.nr_hugepages = %s (huge pages are needed only "
    .. "in no-IOMMU mode)", tostring(nr)))
end

-- Interrupts of the device ----------------------------------------------------------------
if target then
  local dir = pci_root .. "/" .. target.addr
  local cfg = read(dir .. "/config", 256) or ""
  local pin = #cfg > 0x3d and cfg:byte(0x3e) or nil
  local irq = first_line(dir .. "/irq")
  local kinds = {}
  if pin and pin >= 1 and pin <= 4 then kinds[#kinds + 1] = "INTx (pin " .. string.char(64 + pin) .. ")" end
  if #cfg >= 64 and cfg:byte(7) & 0x10 ~= 0 then
    local ptr, seen = cfg:byte(0x35) & 0xfc, 0
    while ptr >= 0x40 and ptr + 2 <= #cfg and seen < 48 do
      seen = seen + 1
      local id = cfg:byte(ptr + 1)
      if id == 0x05 then kinds[#kinds + 1] = "MSI" elseif id == 0x11 then kinds[#kinds + 1] = "MSI-X" end
      ptr = cfg:byte(ptr + 2) & 0xfc
    end
  end
  if #kinds > 0 then
    add("irq", "device", "ok", string.format("%s offers %s%s", target.addr,
      table.concat(kinds, ", "), irq and (" (irq " .. irq .. ")") or ""))
  elseif #cfg < 256 and pin == 0 then
    add("irq", "device", "warn", target.addr .. ": no INTx pin, and the capability list is "
      .. "not readable (" .. #cfg .. " bytes of config)", "run as root to see MSI/MSI-X")
  else
    add("irq", "device", "warn", target.addr .. " offers no INTx, MSI or MSI-X",
      "the device cannot interrupt: poll it (bar:poll32)")
  end
end

-- PAT tracing -----------------------------------------------------------------------------
local cpuinfo = read("/proc/cpuinfo", 1048576) or ""
local cpu_pat = cpuinfo:find("flags%s*:[^\n]* pat[ \n]") ~= nil
if cmd_value("nopat") then
  add("pat", "pat", "fail", "the command line has nopat: PAT is off, every mapping is uncached",
    "boot without nopat")
elseif cpu_pat or cpuinfo == "" then
  add("pat", "pat", "ok", cpuinfo == "" and "/proc/cpuinfo unreadable" or "the CPU has PAT")
else
  add("pat", "pat", "warn", "/proc/cpuinfo lists no pat flag (not x86, or PAT off)",
    "PAT tracing is x86 only")
end
if cmd_value("debugpat") then
  add("pat", "debugpat", "ok", "the command line has debugpat: PAT reservations are logged")
else
  add("pat", "debugpat", "warn", "no debugpat on the command line: the kernel logs no PAT "
    .. "reservations (pat.events and barlua-pat-trace see none)",
    "add debugpat to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, "
      .. "update-grub, reboot)")
end

local restrict = tonumber(first_line("/proc/sys/kernel/dmesg_restrict") or "")
local kmsg_ok = false
do
  local f = io.open("/dev/kmsg", "r")
  if f then
    kmsg_ok = true
    f:close()
  end
end
if kmsg_ok then
  add("pat", "kmsg", "ok", "/dev/kmsg readable" .. (restrict == 1 and
    " (kernel.dmesg_restrict = 1, and this process has CAP_SYSLOG)" or ""))
elseif restrict == 1 and not has_cap(CAP_SYSLOG) then
  add("pat", "kmsg", "fail", "kernel.dmesg_restrict = 1 and no CAP_SYSLOG: /dev/kmsg is closed "
    .. "to this user (pat.events, pat.mark fail)", "run as root, or sysctl kernel.dmesg_restrict=0")
else
  add("pat", "kmsg", "fail", "/dev/kmsg is not readable", "run as root")
end

local mounts = read("/proc/mounts", 1048576) or ""
local debugfs_at
for line in mounts:gmatch("[^\n]+") do
  local _, where, fstype = line:match("^(%S+)%s+(%S+)%s+(%S+)")
  if fstype == "debugfs" and not debugfs_at then debugfs_at = where end
end
if not debugfs_at then
  add("pat", "debugfs", "warn", "debugfs is not mounted (/proc/mounts): no pat_memtype_list "
    .. "(pat.memtype_list fails)", "mount -t debugfs none /sys/kernel/debug")
else
  local list = sysfs .. "/kernel/debug/x86/pat_memtype_list"
  local ok, why = sys.access(list, "r")
  if ok then
    add("pat", "debugfs", "ok", "debugfs at " .. debugfs_at .. "; " .. list .. " readable")
  elseif lockdown_mode and lockdown_mode ~= "none" then
    add("pat", "debugfs", "warn", list .. ": " .. tostring(why) .. " (lockdown " .. lockdown_mode
      .. ")", "see the lockdown line")
  else
    add("pat", "debugfs", "warn", "debugfs at " .. debugfs_at .. " but " .. list .. ": "
      .. tostring(why), root and "a kernel without CONFIG_X86_PAT debugfs entries; nothing to do"
      or "run as root (debugfs is root-only)")
  end
end

-- Report ----------------------------------------------------------------------------------
local counts = { ok = 0, warn = 0, fail = 0 }
for _, c in ipairs(checks) do counts[c.status] = counts[c.status] + 1 end

if args.json then
  local cjson = require "cjson"
  local list = {}
  for i, c in ipairs(checks) do
    list[i] = { area = c.area, check = c.area .. "." .. c.name, status = c.status,
      evidence = c.evidence, fix = c.fix or cjson.null }
  end
  setmetatable(list, cjson.array_mt)
  io.write(cjson.encode({ kernel = kernel, addr = args.addr or cjson.null, mode = mode or cjson.null,
    checks = list, summary = counts }), "\n")
else
  for _, c in ipairs(checks) do
    local line = string.format("%-4s %-18s %s", c.status, c.area .. "." .. c.name, c.evidence)
    if c.fix then line = line .. "; fix: " .. c.fix end
    io.write(line, "\n")
  end
  io.write(string.format("%d ok, %d warn, %d fail (VFIO mode: %s)\n", counts.ok, counts.warn,
    counts.fail, mode or "none usable"))
end
os.exit(counts.fail == 0 and 0 or 1)
