#!/usr/bin/env barlua
-- reload.lua: reprogram an FPGA (or anything that makes a card leave the bus and come back)
-- and get the card back verified and bound, without a reboot.
--   barlua scripts/reload.lua --device 0000:03:00.0 --program 'vivado -mode batch -source prog.tcl'
-- Before: record the driver, BAR layout, link, the upstream port's AER masks and (--map FILE)
-- a register snapshot. Then unbind, mask Surprise Down and Completion Timeout on the upstream
-- port (a reload must not become a fatal error that reboots the server), remove the device,
-- run the programming command, rescan below the port, wait for the device and its link,
-- rebind the original driver, restore the masks, and report what changed. On any failure, a
-- time-out, Ctrl-C or SIGTERM it still puts back what it can and says exactly what it left.
-- Exit status: 0 reloaded and rebound; 1 failed (what was left is printed); 2 bad arguments;
-- 130 / 143 after Ctrl-C / SIGTERM (after the clean-up).
local argparse = require "argparse"
local regs = require "barlua.regs"
local card_reload = require "card_reload"

local PROG = "reload.lua"

local parser = argparse(PROG, "Reload a card (FPGA programming) and get it back bound and verified.")
parser:option("--device", "PCI address of the card, e.g. 0000:03:00.0"):argname("ADDR")
parser:option("--program", "the programming command (run by sh -c; the card is removed meanwhile)")
  :argname("CMD")
local function seconds(option)
  return function(s)
    local n = tonumber(s)
    if not n or n <= 0 or n > 1e6 then return nil, option .. " must be a number of seconds > 0, not '" .. s .. "'" end
    return n
  end
end
parser:option("--timeout", "seconds the programming command may take (default 600)")
  :argname("S"):convert(seconds("--timeout"))
parser:option("--wait", "seconds to wait for the card after the rescan (default 10)")
  :argname("S"):convert(seconds("--wait"))
parser:option("--map", "register map (IP-XACT .xml, or a .lua file returning a regs.define table)"
  .. " to snapshot before and compare after"):argname("FILE")
local ok, args = parser:pparse()
local function usage(msg)
  io.stderr:write(parser:get_usage(), "\n\n", PROG, ": error: ", msg, "\n")
  os.exit(2)
end
if not ok then usage(args) end
if not args.device then usage("--device ADDR is required (the card to reload)") end
if not args.program then usage("--program CMD is required (the command that programs the card)") end
local timeout = args.timeout or 600
local wait_s = args.wait or 10

local function say(fmt, ...) io.stdout:write(string.format(fmt, ...), "\n") io.stdout:flush() end
local message = card_reload.message

local function size_text(n)
  for _, u in ipairs { { 1 << 30, "GiB" }, { 1 << 20, "MiB" }, { 1 << 10, "KiB" } } do
    if n >= u[1] and n % u[1] == 0 then return string.format("%d %s", n // u[1], u[2]) end
  end
  return string.format("%d B", n)
end

local function bar_text(b)
  if not b or b.size == 0 then return "absent" end
  return string.format("%s %s%s", size_text(b.size), b.io and "io" or (b.is64 and "mem64" or "mem32"),
    b.prefetchable and " pref" or "")
end

local function link_text(l)
  if not l then return "no PCIe link" end
  return string.format("%s GT/s x%d%s", tostring(l.speed), l.width, l.dll_active == false and " (DLL down)" or "")
end

-- The register map, loaded before anything changes (a bad file stops here, harmlessly).
local map_spec
if args.map then
  local loaded, spec
  if args.map:match("%.lua$") then
    loaded, spec = pcall(dofile, args.map)
  else
    loaded, spec = pcall(regs.load, args.map)
  end
  if not loaded then usage("--map " .. args.map .. ": " .. message(spec)) end
  -- A .lua file may return a definition table or a map regs.define already made
  -- (scripts/lib/devices/*.lua).
  local defined, map = true, spec
  if type(spec) ~= "table" or getmetatable(spec) == nil then defined, map = pcall(regs.define, spec) end
  if not defined then usage("--map " .. args.map .. ": " .. message(map)) end
  map_spec = map
end

-- Every readable register without side effects, {NAME = value}. regs.snapshot (when this
-- barlua has it) else the same reads done here with the bar's exact-width accessors.
local function snapshot(addr)
  local bar <close> = pci.map(addr, map_spec.bar or 0, { write = false })
  if regs.snapshot then
    return (regs.snapshot(regs.bind(bar, map_spec)))
  end
  local values = {}
  for _, r in ipairs(map_spec.registers) do
    if r.access ~= "wo" and not r.side_effects then
      local read = bar["read" .. (r.width or 32)]
      if read and r.offset + (r.width or 32) // 8 <= bar.size then values[r.name] = read(bar, r.offset) end
    end
  end
  return values
end

local function diff(a, b)
  if regs.diff then return regs.diff(a, b) end
  local out, names = {}, {}
  for k in pairs(a) do names[#names + 1] = k end
  for k in pairs(b) do if a[k] == nil then names[#names + 1] = k end end
  table.sort(names)
  for _, k in ipairs(names) do
    if a[k] ~= b[k] then out[#out + 1] = { register = k, before = a[k], after = b[k] } end
  end
  return out
end

local addr = args.device
local found, info = pcall(pci.device, addr)
if not found then
  io.stderr:write(PROG, ": ", message(info), "\n")
  os.exit(1)
end
addr = info.addr
local port = card_reload.upstream_port(addr)
local before = { bars = info.bars, id = string.format("%04x:%04x", info.vendor, info.device) }

say("%s: %s (%s) on %s, %s", PROG, addr, before.id, tostring(info.driver or "no driver"),
  port and ("below port " .. port) or "on a root bus (no upstream port: AER masking skipped)")
local bar_list = {}
for i = 0, 5 do
  if info.bars[i] and info.bars[i].size > 0 then
    bar_list[#bar_list + 1] = "BAR" .. i .. " " .. bar_text(info.bars[i])
  end
end
say("before: link %s; %s", link_text(port and pci.link(port) or pci.link(addr)),
  #bar_list > 0 and table.concat(bar_list, ", ") or "no BARs")
if map_spec then
  before.registers = snapshot(addr)
  local n = 0
  for _ in pairs(before.registers) do n = n + 1 end
  say("before: %d registers read from %s%s", n, args.map,
    regs.snapshot and "" or " (read here: this barlua has no regs.snapshot)")
end

local r = card_reload.run(addr, args.program, { timeout = timeout, wait = wait_s, say = function(l) say("%s", l) end })
local failure, left = r.failure, r.left
local mark, after_link = r.mark, r.link_after
before.link = r.link_before

if not failure then
  -- The report.
  say("link: before %s, after %s%s", link_text(before.link), link_text(after_link),
    link_text(before.link) == link_text(after_link) and " (unchanged)" or " (CHANGED)")
  local now = pci.device(addr)
  local changed = 0
  for i = 0, 5 do
    local a, b = before.bars[i], now.bars[i]
    local ta, tb = bar_text(a), bar_text(b)
    if ta ~= tb then
      changed = changed + 1
      say("BAR%d: %s -> %s", i, ta, tb)
    elseif b and b.size > 0 and a.base ~= b.base then
      say("BAR%d: same size, moved from 0x%x to 0x%x", i, a.base, b.base)
    end
  end
  if changed == 0 then say("BARs: same sizes and flags as before") end
  local problems = {}
  for _, m in ipairs(pci.kernel_messages(mark)) do
    local text = m.message
    if (text:find(addr, 1, true) or (port and text:find(port, 1, true)))
      and (text:find("can't assign", 1, true) or text:find("failed to assign", 1, true)
        or text:find("no space", 1, true)) then
      problems[#problems + 1] = text
    end
  end
  if #problems > 0 then
    say("kernel: the new layout did not fit:")
    for _, text in ipairs(problems) do say("  %s", text) end
    say("  The window the firmware gave the port is smaller than the new BAR. Boot with")
    say("  pci=hpmemsize=SIZE (e.g. pci=hpmemsize=256M: room reserved behind hotplug ports) or")
    say("  pci=realloc (let Linux re-size bridge windows), or program the FPGA before boot.")
  end
  if map_spec then
    if now.bars[map_spec.bar or 0] and now.bars[map_spec.bar or 0].size > 0 then
      local after_regs = snapshot(addr)
      local d = diff(before.registers, after_regs)
      say("registers: %d changed", #d)
      for _, c in ipairs(d) do
        say("  %s%s: 0x%x -> 0x%x", c.register, c.field and ("." .. c.field) or "", c.before or 0, c.after or 0)
      end
    else
      say("registers: BAR%d is not assigned now: not read", map_spec.bar or 0)
    end
  end
end

if #left > 0 then
  say("LEFT CHANGED:")
  for _, l in ipairs(left) do say("  %s", l) end
elseif failure and not r.touched then
  say("nothing was changed: %s stays on %s", addr, tostring(info.driver or "no driver"))
elseif failure then
  say("everything put back as it was: %s on %s", addr, tostring(r.previous or "no driver"))
else
  say("done: %s on %s", addr, tostring(r.previous or "no driver"))
end
if failure and failure:find("terminated", 1, true) then os.exit(143) end
if failure and failure:find("interrupted", 1, true) then os.exit(130) end
os.exit((failure or #left > 0) and 1 or 0)
