#!/usr/bin/env barlua
-- pat_trace: which x86 PAT memory type a BAR mapping gets, and which mapping step makes the
-- kernel reserve or free it. For each BAR and mapping method it steps through open, mmap,
-- first access, second access, munmap and close, prints the PAT events each step caused and
-- what /sys/kernel/debug/x86/pat_memtype_list holds for the BAR, and ends with a verdict.
-- The stepping is scripts/lib/pattrace.lua. Reads the BAR (32 bits at offset 0, twice); never
-- writes to the device.
local argparse = require "argparse"
local pattrace = require "pattrace"
local out = require "script_output"
out.guard("pat_trace")
-- Kernel log lines and sysfs text: printed with control bytes escaped.
local print = out.print

local function fail(fmt, ...)
  io.stderr:write("pat_trace: ", string.format(fmt, ...), "\n")
  os.exit(1)
end

-- The devices bound to vfio-pci, for the message that asks for --device.
local function vfio_candidates()
  local ok, list = pcall(vfio.devices)
  if not ok then return "vfio.devices() failed: " .. pattrace.message(list) end
  if #list == 0 then
    return "vfio.devices() lists no device bound to vfio-pci; pci.devices() lists the others "
      .. "(the sysfs methods work on any memory BAR)"
  end
  local lines = { "devices bound to vfio-pci (vfio.devices()):" }
  for _, d in ipairs(list) do
    lines[#lines + 1] = string.format("  %s  %04x:%04x %s%s", d.addr, d.vendor, d.device,
      d.device_name or "", d.viable and "" or "  (group not viable)")
  end
  return table.concat(lines, "\n")
end

local function parse_args()
  local parser = argparse("pat_trace",
    "Step a BAR mapping through open, mmap, two reads, munmap and close and show the x86 PAT "
      .. "events (memory type reservations) each step causes.")
  parser:option("--device", "PCI address of the device, e.g. 0000:00:03.0 (required).")
    :argname("ADDR")
  parser:option("--bar", "BAR to trace (repeatable; default: every mmap-able memory BAR).")
    :argname("N"):count("*"):convert(function(s)
      local n = math.tointeger(tonumber(s))
      if not n or n < 0 or n > 5 then
        return nil, string.format("--bar %s is not a BAR number (0..5)", s)
      end
      return n
    end)
  parser:option("--method", "Mapping method (repeatable; default: all of them).")
    :choices(pattrace.METHODS):count("*")
  parser:flag("--json", "Write the facts as JSON instead of text.")
  parser:epilog("Needs the kernel booted with debugpat for PAT events; run as root (or with "
    .. "kernel.dmesg_restrict=0) to read /dev/kmsg; debugfs mounted for the PAT table.")
  local args = parser:parse()
  if not args.device then
    parser:error("--device is required: name the device to trace.\n" .. vfio_candidates())
  end
  return args
end

-- The BARs asked for, checked against the device; or the default ones.
local function choose_bars(info, wanted)
  local memory = pattrace.memory_bars(info)
  if #wanted == 0 then
    local bars = pattrace.default_bars(info)
    if #bars == 0 then fail("%s has no mmap-able memory BAR", info.addr) end
    return bars
  end
  local names = {}
  for _, b in ipairs(memory) do names[#names + 1] = "BAR" .. b.index end
  local bars = {}
  for _, n in ipairs(wanted) do
    local b = info.bars[n]
    if not b or b.io then
      fail("%s has no memory BAR%d (memory BARs: %s)", info.addr, n,
        #names > 0 and table.concat(names, ", ") or "none")
    end
    bars[#bars + 1] = b
  end
  return bars
end

local function read_line(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("l")
  f:close()
  return s
end

local function event_line(e)
  local text = string.format("%-8s [%s-%s]", e.kind, pattrace.hex(e.first), pattrace.hex(e.last))
  local types = {}
  for _, k in ipairs { "track", "req", "ret", "expected", "got" } do
    if e[k] then types[#types + 1] = k .. " " .. e[k] end
  end
  if #types > 0 then text = text .. " " .. table.concat(types, ", ") end
  return text
end

local function memtype_line(step)
  if not step.memtype then return nil end
  if #step.memtype == 0 then return "PAT table: no entry for the BAR" end
  local parts = {}
  for _, m in ipairs(step.memtype) do
    parts[#parts + 1] = string.format("%s [%s-%s]", m.type, pattrace.hex(m.first),
      pattrace.hex(m.last))
  end
  return "PAT table: " .. table.concat(parts, "; ")
end

local function print_result(r, debugpat)
  print(string.format("\n== BAR%d via %s", r.bar, r.method))
  for _, s in ipairs(r.steps) do
    local value = s.value and string.format(" = %s", pattrace.hex(s.value)) or ""
    print(string.format("  %-14s %s%s", s.name, s.action, value))
    if s.error then print("                   error: " .. s.error) end
    if #s.events == 0 then print("                   (no PAT event)") end
    for _, e in ipairs(s.events) do print("                   " .. event_line(e)) end
    local m = memtype_line(s)
    if m then print("                   " .. m) end
  end
  if r.memtype_error then print("  PAT table unavailable: " .. r.memtype_error) end
  print("  verdict: " .. pattrace.verdict(r, debugpat))
end

local function print_text(info, bars, results, kernel, debugpat, dp_hint)
  print(string.format("pat_trace: %s %04x:%04x%s (driver %s), kernel %s", info.addr,
    info.vendor, info.device, info.device_name and (" " .. info.device_name) or "",
    info.driver or "none", kernel or "?"))
  if not debugpat then print("warning: " .. dp_hint) end
  for _, b in ipairs(bars) do
    print(string.format("BAR%d [mem %s-%s] %s, %s-bit, %sprefetchable", b.index,
      pattrace.hex(b.base), pattrace.hex(b.base + b.size - 1), pattrace.size_text(b.size),
      b.is64 and 64 or 32, b.prefetchable and "" or "non-"))
  end
  for _, r in ipairs(results) do
    if r.unavailable then
      print(string.format("\n== BAR%d via %s: unavailable: %s", r.bar, r.method, r.unavailable))
    else
      print_result(r, debugpat)
    end
  end
end

local function main()
  local args = parse_args()
  local ok, info = pcall(pci.device, args.device)
  if not ok then fail("%s", pattrace.message(info)) end
  -- Unreadable /dev/kmsg (dmesg_restrict) ends the run here: its error names the fix.
  local kok, kerr = pcall(pat.mark)
  if not kok then fail("%s", pattrace.message(kerr)) end
  local bars = choose_bars(info, args.bar)
  local methods = #args.method > 0 and args.method or pattrace.METHODS
  local debugpat = pat.enabled()
  local kernel = read_line("/proc/sys/kernel/osrelease")

  -- VFIO first: the sysfs methods need the VFIO device closed (else EINVAL by design).
  local results = {}
  for _, b in ipairs(bars) do
    for _, m in ipairs(pattrace.METHODS) do
      for _, want in ipairs(methods) do
        if want == m then
          local tok, r = pcall(pattrace.trace, info.addr, b.index, m)
          if not tok then fail("%s", pattrace.message(r)) end
          results[#results + 1] = r
        end
      end
    end
  end

  local dp_hint = "the kernel was not booted with debugpat, so it logs no PAT reservations: "
    .. "add debugpat to the kernel command line (e.g. GRUB_CMDLINE_LINUX in /etc/default/grub, "
    .. "then update-grub) and reboot"
  if args.json then
    local cjson = require "cjson"
    local facts = {
      device = info.addr, vendor = info.vendor, device_id = info.device, driver = info.driver,
      kernel = kernel, debugpat = debugpat, debugpat_hint = not debugpat and dp_hint or nil,
      methods = {},
    }
    for i, r in ipairs(results) do facts.methods[i] = pattrace.facts(r, debugpat) end
    io.write(pattrace.json(cjson, facts), "\n")
  else
    print_text(info, bars, results, kernel, debugpat, dp_hint)
  end
  -- Reporting an unavailable method is not an error; tracing nothing at all is.
  for _, r in ipairs(results) do
    if not r.unavailable then return end
  end
  fail("no method could map the BAR%s (reasons above)", #bars == 1 and "" or "s")
end

main()
out.done()
