#!/usr/bin/env barlua
-- persistence.lua: does the memory behind a BAR keep its contents between runs, across reboots,
-- a VFIO_DEVICE_RESET, an FPGA reload? The experiment of fpga_sio's memmapped_persistence_vfio,
-- with its record and its report lines, so a BAR initialised by the C program is recognised
-- here and the other way round. It writes only to devices named on the command line.

local argparse = require "argparse"
local cjson = require "cjson"
local record = require "persistence_record"
local script = require "barlua.script"
local conditions = require "persistence_conditions"
local output = require "script_output"
output.guard("persistence.lua")

-- Byte-read timing is one exact-width 8-bit transfer in C (bar:read(0, n, 8): one volatile
-- byte read each, as the seed's C loop); past this many bytes it is timed over the first
-- BYTE_TIMING_LIMIT only, while the 0x00/0xFF counts always cover the whole BAR at memory
-- speed (bar:count).
local BYTE_TIMING_LIMIT = 1024 * 1024

local PROG = "persistence.lua"
local EXIT_USAGE = 2

local message = script.message

local function usage_error(parser, msg)
  io.stderr:write(parser:get_usage(), "\n\n", PROG, ": error: ", msg, "\n")
  os.exit(EXIT_USAGE)
end

local function parse_bar(s)
  local n = script.bar_number(s)
  if not n then
    return nil, "--bar must be a BAR number 0..5, not '" .. s .. "'"
  end
  return n
end

-- "VVVV:DDDD[:SSSS:ssss]" (hex) → a pci.devices filter.
local function parse_id(s)
  local parts = {}
  for p in (s .. ":"):gmatch("([^:]*):") do parts[#parts + 1] = p end
  local ok = (#parts == 2 or #parts == 4)
  for _, p in ipairs(parts) do ok = ok and p:match("^%x%x?%x?%x?$") ~= nil end
  if not ok then
    return nil, "--id must be VVVV:DDDD or VVVV:DDDD:SSSS:ssss in hex (vendor, device, "
      .. "subsystem vendor, subsystem device), not '" .. s .. "'"
  end
  local f = { vendor = tonumber(parts[1], 16), device = tonumber(parts[2], 16) }
  if #parts == 4 then
    f.subvendor, f.subdevice = tonumber(parts[3], 16), tonumber(parts[4], 16)
  end
  return { filter = f, text = s }
end

local function build_parser()
  local p = argparse(PROG, "Does BAR memory keep its contents? Keeps fpga_sio's 164-byte record "
    .. "at the start of each BAR of the named devices and reports what it finds.")
  p:epilog("The 0x00/0xFF counts cover the whole BAR; the byte-read timing covers the whole BAR "
    .. "up to 1 MiB, else its first 1 MiB.\nExit status: 0 done (findings are in the report), "
    .. "1 a device or BAR failed (an error, or all bytes 0xFF: not responding), 2 bad "
    .. "arguments or no device named (the devices bound to vfio-pci are then listed; nothing "
    .. "is written).")
  p:option("--device", "PCI address of a device to test (repeatable).")
    :args(1):count("*"):argname("ADDR")
  p:option("--id", "Test every device with this identity, hex VVVV:DDDD[:SSSS:ssss] (repeatable).")
    :args(1):count("*"):argname("ID"):convert(parse_id)
  p:option("--bar", "Only this BAR number (repeatable).")
    :args(1):count("*"):argname("N"):convert(parse_bar)
  -- No argparse default: --method given with --file must be seen to be refused.
  p:option("--method", "How BARs are mapped (default: vfio).")
    :choices({ "vfio", "sysfs", "sysfs-wc" }):overwrite(false)
  p:option("--file", "Run on a file (mmio.map) as BAR 0 instead of a device."):argname("PATH")
    :overwrite(false)
  p:option("--reset", "Reset each device before the test: vfio (VFIO_DEVICE_RESET, the default), "
    .. "flr, pm, bus (the kernel's reset through sysfs with that method), hot (VFIO's bus/slot hot reset).")
    :args("?"):choices(conditions.RESETS):argname("HOW")
  p:option("--reload", "Reload each device before the test: remove it, run CMD (its programming "
    .. "command, sh -c), rescan, rebind (as barlua-reload).")
    :argname("CMD"):overwrite(false)
  p:flag("--matrix", "Run the experiment through every condition the device offers (rerun, each "
    .. "reset, --reload when given) and end with a table: condition -> per BAR kept / zeroed / "
    .. "all 0xFF / changed.")
  p:flag("--read-only", "Report without writing anything.")
  p:flag("--json", "Print the facts as JSON instead of the report.")
  return p
end

local function parse_options()
  local parser = build_parser()
  local ok, opts = parser:pparse(arg)
  if not ok then usage_error(parser, opts) end
  if opts.reset then opts.reset = opts.reset[1] or "vfio" end
  if opts.matrix and (opts.reset or opts.read_only or opts.method or opts.file) then
    usage_error(parser, "--matrix runs every condition itself through VFIO and writes: drop "
      .. "--reset, --read-only, --method and --file")
  end
  if opts.file then
    if #opts.device > 0 or #opts.id > 0 then
      usage_error(parser, "--file runs on a file instead of devices: drop --device/--id")
    end
    if opts.reset then usage_error(parser, "--reset needs a device, not --file") end
    if opts.reload then usage_error(parser, "--reload needs a device, not --file") end
    if opts.method then usage_error(parser, "--method applies to devices, not --file") end
    for _, n in ipairs(opts.bar) do
      if n ~= 0 then
        usage_error(parser, "--file is BAR 0: --bar " .. n .. " does not exist there")
      end
    end
  end
  opts.method = opts.method or "vfio"
  return opts, parser
end

-- With no device named: show the candidates and stop, never pick one.
local function list_candidates()
  io.stderr:write(PROG, ": name the device(s) to test with --device ADDR or --id VVVV:DDDD ",
    "(or use --file PATH); it writes a record at the start of each BAR.\n")
  local ok, devs = pcall(vfio.devices)
  if not ok then
    io.stderr:write("could not list the devices bound to vfio-pci: ", message(devs), "\n")
  elseif #devs == 0 then
    io.stderr:write("No device is bound to vfio-pci.\n")
  else
    io.stderr:write("Devices bound to vfio-pci:\n")
    for _, d in ipairs(devs) do
      io.stderr:write(string.format("  %s  %04x:%04x  IOMMU group %s%s  %s\n", d.addr, d.vendor,
        d.device, tostring(d.iommu_group), d.viable and "" or " (not viable)",
        d.device_name or d.vendor_name or ""))
    end
  end
  os.exit(EXIT_USAGE)
end

-- The devices named by --device and --id, in order, each once. Problems are returned as
-- messages: the devices that were found are still tested.
local function select_devices(opts)
  local addrs, seen, problems = {}, {}, {}
  local function add(a)
    if not seen[a] then
      seen[a] = true
      addrs[#addrs + 1] = a
    end
  end
  for _, a in ipairs(opts.device) do
    local ok, info = pcall(pci.device, a)
    if ok then
      add(info.addr)
    else
      problems[#problems + 1] = "--device " .. a .. ": " .. message(info)
    end
  end
  for _, f in ipairs(opts.id) do
    local found = pci.devices(f.filter)
    if #found == 0 then
      problems[#problems + 1] = "--id " .. f.text .. ": no PCI device has this identity"
    end
    for _, d in ipairs(found) do add(d.addr) end
  end
  return addrs, problems
end

-- One pass of single-byte reads over the first `n` bytes, as the C program timed it: one C
-- transfer of n 8-bit reads, with only the clock reads around it.
local function time_byte_reads(bar, n)
  local now, read = time.ns, bar.read
  local start = now()
  read(bar, 0, n, 8)
  return now() - start
end

local function read_record(bar)
  return record.decode(bar:read(0, record.SIZE))
end

-- Writes what changed between `old` and `new`: the C program leaves initialised_text alone on
-- an already initialised BAR.
local function write_record(bar, old, new)
  if new.initialised_raw ~= old.initialised_raw then
    bar:write(0, record.field(new.initialised_text, record.INITIALISED_LEN))
  end
  bar:write(record.INITIALISED_LEN, record.field(new.last_accessed_text, record.LAST_ACCESSED_LEN))
  bar:write32(record.COUNT_OFFSET, new.accessed_count)
end

-- The record's fields for the report's facts (without the raw bytes).
local function facts_of(r)
  return { initialised_text = r.initialised_text, last_accessed_text = r.last_accessed_text,
    accessed_count = r.accessed_count }
end

-- A BAR without this BAR's record: count its 0x00 and 0xFF bytes (whole BAR) and time single
-- byte reads, as the C program does. Sets res.state to "uninitialised" or "not_responding".
local function survey(bar, res, say)
  local zeros, ffs = bar:count(0), bar:count(0xff)
  local timed = math.min(bar.size, BYTE_TIMING_LIMIT)
  local ns = time_byte_reads(bar, timed)
  res.zero_bytes, res.ff_bytes = zeros, ffs
  res.byte_read_ns, res.bytes_timed, res.ns_per_byte = ns, timed, ns // timed
  say(record.uninitialised_line(bar.size, zeros, ffs))
  say(record.timing_line(ns, timed))
  if timed < bar.size then
    say(string.format("  (byte reads timed over the first %d bytes; counts cover all %d)\n", timed,
      bar.size))
  end
  res.state = record.survey(bar.size, zeros, ffs) == "not_responding" and "not_responding"
    or "uninitialised"
end

-- The experiment on one mapped BAR. `say` prints a report line; returns the facts.
local function test_bar(bar, index, opts, now_text, say)
  local res = { index = index, size = bar.size, method = bar.method, written = false }
  local old = read_record(bar)
  if record.is_initialised(old, index) then
    res.state = "initialised"
    res.record = facts_of(old)
    say(record.already_line(old))
  else
    survey(bar, res, say)
  end
  if res.state == "not_responding" then
    -- Writes would go nowhere, or land in a device that is half back: leave it alone.
    say("  " .. record.NOT_RESPONDING .. " Nothing written.\n")
  elseif opts.read_only then
    if res.record then say(record.fields_lines(old, false)) end
    say("  read-only: nothing written\n")
  else
    local new = record.next_record(old, index, now_text)
    write_record(bar, old, new)
    local back = read_record(bar) -- printed as read back, as the C program prints the mapping
    say(record.fields_lines(back, true))
    res.written, res.record = true, facts_of(back)
    res.kept = record.encode(back) == record.encode(new)
    if not res.kept then
      say("  the BAR did not keep what was written: not plain memory (device registers?)\n")
    end
  end
  return res
end

-- A BAR left alone, with the reason in the report and the facts.
local function skip(res, reason, say)
  res.skipped = reason
  say("  skipped: " .. reason .. "\n")
  return res
end

local function wanted(opts, index)
  if #opts.bar == 0 then return true end
  for _, n in ipairs(opts.bar) do if n == index then return true end end
  return false
end

local function too_small(size)
  return string.format("%d bytes is smaller than the %d-byte record", size, record.SIZE)
end

-- One BAR of a device: map it by the chosen method, run the test, always unmap.
local function run_bar(map, index, size, opts, now_text, say)
  say(record.bar_line(index))
  local res = { index = index, size = size }
  if size < record.SIZE then return skip(res, too_small(size), say) end
  local ok, bar = pcall(map)
  if not ok then
    res.error = message(bar)
    say("  error: " .. res.error .. "\n")
    return res
  end
  local ok2, out = pcall(test_bar, bar, index, opts, now_text, say)
  bar:unmap()
  if not ok2 then
    res.error = message(out)
    say("  error: " .. res.error .. "\n")
    return res
  end
  return out
end

-- The BAR slots of a device opened through VFIO: {index, size, io, mmap}.
local function vfio_slots(dev)
  local bars = (dev.info and dev.info.bars) or {}
  local slots = {}
  for _, r in ipairs(dev:regions()) do
    if r.index <= 5 and r.size > 0 then
      local b = bars[r.index] or {}
      slots[#slots + 1] = { index = r.index, size = r.size, io = b.io, mmap = r.mmap }
    end
  end
  return slots
end

-- The BAR slots through sysfs: {index, size, io, mmap, prefetchable, wc}; sysfs-wc needs wc.
local function sysfs_slots(info)
  local slots = {}
  for i = 0, 5 do
    local b = info.bars[i]
    if b and b.size > 0 then
      slots[#slots + 1] = { index = i, size = b.size, io = b.io, mmap = true,
        prefetchable = b.prefetchable, wc = b.wc }
    end
  end
  return slots
end

local function slot_skip_reason(slot, opts)
  if slot.io then return "I/O port BAR: not memory, cannot be mapped" end
  if not slot.mmap then return "not mmap-able (VFIO gives no MMAP flag for this region)" end
  -- slot.wc: sysfs has resourceN_wc (pci.device reads the file; the rule is not retyped).
  if opts.method == "sysfs-wc" and not slot.wc then
    return (slot.prefetchable and "" or "not prefetchable: ") .. "the kernel offers no resource"
      .. slot.index .. "_wc (write-combining)"
  end
  return nil
end

local function reset_device(addr, dev)
  if not dev.can_reset then
    error(string.format("device %s cannot be reset: VFIO reports no reset method for it (no FLR, "
      .. "PM reset or bus reset available); run without --reset", addr), 0)
  end
  dev:reset()
end

-- --reset flr|pm|bus|hot and --reload: applied before the device is opened for the test.
local function before_test(addr, opts, say)
  if opts.reload then
    say("  " .. conditions.apply(addr, "reload", opts) .. "\n")
  end
  if opts.reset and opts.reset ~= "vfio" then
    say("  device reset before the test: " .. conditions.apply(addr, opts.reset, opts) .. "\n")
  end
end

-- The whole test of one device. Returns its facts; `say` prints report lines.
local function test_device(addr, opts, now_text, say)
  local facts = { addr = addr, method = opts.method, bars = {} }
  local dev
  local ok, err = pcall(function()
    before_test(addr, opts, say)
    facts.reset, facts.reloaded = opts.reset, opts.reload and true or nil
    dev = vfio.open(addr)
    facts.group, facts.iommu = dev.group, dev.iommu
    if opts.reset == "vfio" then reset_device(addr, dev) end
  end)
  local info = pci.device(addr)
  say(record.now_line(now_text))
  if not ok then
    if dev then dev:close() end
    -- The sysfs methods need no VFIO device, unless a reset was asked for.
    if opts.method == "vfio" or opts.reset then
      facts.error = message(err)
      say(record.device_line(addr, info.iommu_group or "none"))
      say("  error: " .. facts.error .. "\n")
      return facts
    end
  end
  facts.group = facts.group or info.iommu_group
  say(record.device_line(addr, facts.group or "none"))
  if facts.reset == "vfio" then say("  device reset (VFIO_DEVICE_RESET) before the test\n") end
  local slots
  if opts.method == "vfio" then
    slots = vfio_slots(dev)
  else
    if dev then dev:close() end -- a sysfs mapping conflicts with an open VFIO device
    dev = nil
    slots = sysfs_slots(info)
  end
  local present = {}
  for _, slot in ipairs(slots) do
    present[slot.index] = true
    if wanted(opts, slot.index) then
      local reason = slot_skip_reason(slot, opts)
      if reason then
        say(record.bar_line(slot.index))
        facts.bars[#facts.bars + 1] = skip({ index = slot.index, size = slot.size }, reason, say)
      else
        local map = opts.method == "vfio" and function() return dev:map(slot.index) end
          or function()
            return pci.map(addr, slot.index,
              { wc = opts.method == "sysfs-wc", write = not opts.read_only })
          end
        facts.bars[#facts.bars + 1] = run_bar(map, slot.index, slot.size, opts, now_text, say)
      end
    end
  end
  for _, n in ipairs(opts.bar) do
    if not present[n] then
      say(record.bar_line(n))
      local res = { index = n, size = 0 }
      facts.bars[#facts.bars + 1] = skip(res, "not implemented by the device", say)
    end
  end
  if dev then dev:close() end
  return facts
end

-- --matrix on one device: every condition, then the table.
local function matrix_device(addr, opts, now_text, say)
  say(record.now_line(now_text))
  say(string.format("Persistence matrix of %s: a fresh record in each BAR before each condition\n", addr))
  local ok, m = pcall(conditions.matrix, addr, opts, now_text, function(i) return wanted(opts, i) end,
    function(line) say(line .. "\n") end)
  if not ok then
    say("  error: " .. message(m) .. "\n")
    return { addr = addr, error = message(m), bars = {} }
  end
  say(conditions.table(m))
  local facts = { addr = addr, method = "vfio", bars = {}, matrix = m.rows }
  for _, row in ipairs(m.rows) do
    if row.error then
      facts.error = (facts.error and facts.error .. "; " or "") .. row.condition .. ": " .. row.error
    end
  end
  return facts
end

local function test_file(path, opts, now_text, say)
  local facts = { file = path, method = "file", bars = {} }
  say(record.now_line(now_text))
  say(string.format("Testing file %s\n", path))
  local ok, size = pcall(function()
    local probe <close> = mmio.map(path, { write = false })
    return probe.size
  end)
  if not ok then
    say(record.bar_line(0))
    facts.bars[1] = { index = 0, error = message(size) }
    say("  error: " .. facts.bars[1].error .. "\n")
    return facts
  end
  -- --read-only maps the file read-only, so a file the user may only read can be surveyed.
  local function map() return mmio.map(path, { write = not opts.read_only }) end
  facts.bars[1] = run_bar(map, 0, size, opts, now_text, say)
  return facts
end

-- A device or BAR failed: an error, or a BAR that reads all 0xFF (the device is not
-- responding: the experiment could not run on it).
local function failed(facts)
  if facts.error then return true end
  for _, b in ipairs(facts.bars) do
    if b.error or b.state == "not_responding" then return true end
  end
  return false
end

-- Under barlua.test's report formats (BARLUA_TEST_FORMAT: tap, junit:PATH, lava) each BAR's
-- figures are also test results and measurements, and the usual report goes to standard error
-- so that standard output stays TAP. Without the variable nothing changes.
local function report_as_tests(report)
  local t = require "barlua.test"
  for _, facts in ipairs(report.devices) do
    local who = (facts.addr or facts.file or "?"):gsub("[^%w.-]", "_")
    t.ok(not facts.error, who .. " opened" .. (facts.error and (": " .. facts.error) or ""))
    for _, b in ipairs(facts.bars) do
      local name = who .. ".bar" .. b.index
      if b.error or b.state == "not_responding" then
        t.ok(false, name .. ": " .. (b.error or "not responding"))
      elseif not b.skipped then
        if b.record then t.measure(name .. ".accessed_count", b.record.accessed_count, "accesses") end
        if b.ns_per_byte then t.measure(name .. ".byte_read", b.ns_per_byte, "ns/byte") end
        if b.written then t.ok(b.kept, name .. " kept the record written") end
      end
    end
  end
  t.done()
end

local function main()
  local opts = parse_options()
  local measuring = (os.getenv("BARLUA_TEST_FORMAT") or "") ~= ""
  local out = measuring and io.stderr or io.stdout
  if not opts.file and #opts.device == 0 and #opts.id == 0 then list_candidates() end
  local now_text = record.ctime(os.time())
  local say = opts.json and function() end or function(s) out:write(s) end
  local report = { now = now_text:gsub("\n$", ""), read_only = opts.read_only, devices = {} }
  local status = 0
  if opts.file then
    report.devices[1] = test_file(opts.file, opts, now_text, say)
  else
    local addrs, problems = select_devices(opts)
    for _, p in ipairs(problems) do io.stderr:write(PROG, ": ", p, "\n") end
    if #problems > 0 then status = 1 end
    for _, addr in ipairs(addrs) do
      if opts.matrix then
        report.devices[#report.devices + 1] = matrix_device(addr, opts, now_text, say)
      else
        report.devices[#report.devices + 1] = test_device(addr, opts, now_text, say)
      end
    end
  end
  for _, facts in ipairs(report.devices) do
    if failed(facts) then status = 1 end
  end
  if opts.json then out:write(cjson.encode(report), "\n") end
  out:flush()
  if measuring then report_as_tests(report) end
  os.exit(status)
end

main()
