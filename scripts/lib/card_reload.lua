-- card_reload: take a card off the bus, run the command that reprograms it, and bring it back
-- bound to its driver, with the upstream port's AER masks put back; shared by reload.lua and
-- persistence.lua --reload. Every step is recorded, so a failure, a time-out, Ctrl-C or SIGTERM
-- undoes what was done and says exactly what could not be undone.
--
--   local reload = require "card_reload"
--   local r = reload.run(addr, "program.sh", {timeout = 600, wait = 10, say = print})
--   r.failure   -- nil, or what went wrong ("interrupted!", "terminated (SIGTERM)", ...)
--   r.left      -- what it could not put back, one line each (empty when all is back)
--   r.touched   -- whether anything was changed at all (false: refused before any change)
--   r.port, r.previous, r.link_before, r.link_after, r.mark (a pat.mark() before it all)
local M = {}

M.SURPRISE_DOWN, M.COMPLETION_TIMEOUT = 1 << 5, 1 << 14

-- A shell word: the user's command goes to sh -c as one argument, never pasted into our text.
function M.quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local q = M.quote

function M.message(err) return (tostring(err):gsub("^[^\n]-%.lua:%d+: ", "")) end
local message = M.message

-- The upstream port: the device's parent in sysfs, unless that is a root bus (nil then).
function M.upstream_port(addr)
  local root = os.getenv("BARLUA_SYSFS_PCI") or ""
  if root == "" then root = "/sys/bus/pci/devices" end
  local p = io.popen("readlink -f " .. q(root .. "/" .. addr))
  local path = p and p:read("l")
  if p then p:close() end
  local parent = path and path:match("/([^/]+)/[^/]+$")
  if parent and parent:match("^%x%x%x%x:%x%x:%x%x%.%x$") then return parent end
  return nil
end

-- Runs `cmd` (sh -c) in its own session, in the background, and waits with time.sleep (which
-- Ctrl-C and SIGTERM interrupt); a time-out or an interrupt stops its whole session (TERM,
-- then KILL after 5 s). Returns "ok" | "failed" | "timeout", the exit status, the seconds.
function M.run_program(cmd, timeout)
  local mk = io.popen("mktemp -d")
  local dir = mk and mk:read("l")
  if mk then mk:close() end
  if not dir then error("cannot create a temporary folder (mktemp -d)", 0) end
  local status_file, pid_file = dir .. "/status", dir .. "/pid"
  local started = time.ns()
  os.execute("setsid sh -c 'sh -c \"$1\"; echo $? > \"$2\"' reload-program " .. q(cmd) .. " " ..
    q(status_file) .. " </dev/null & echo $! > " .. q(pid_file))
  local pf = io.open(pid_file)
  local pid = pf and math.tointeger(tonumber(pf:read("l")))
  if pf then pf:close() end
  local function stop()
    if not pid then return end
    -- dash's kill takes no "--": -PID is the process group.
    os.execute("kill -TERM -" .. pid .. " 2>/dev/null")
    for _ = 1, 50 do
      if not os.execute("kill -0 -" .. pid .. " 2>/dev/null") then return end
      time.sleep(0.1)
    end
    os.execute("kill -KILL -" .. pid .. " 2>/dev/null")
  end
  local done, result, status = pcall(function()
    while time.ns() - started < timeout * 1e9 do
      local f = io.open(status_file)
      local text = f and f:read("l")
      if f then f:close() end
      if text then
        local st = math.tointeger(tonumber(text))
        return st == 0 and "ok" or "failed", st
      end
      time.sleep(0.05)
    end
    return "timeout"
  end)
  if not done or result == "timeout" then stop() end
  os.remove(status_file)
  os.remove(pid_file)
  os.remove(dir)
  if not done then error(result, 0) end
  return result, status, (time.ns() - started) / 1e9
end

local function link_of(r) return r.port and pci.link(r.port) or pci.link(r.addr) end

-- The reload itself; records each step in `r`.
local function steps(r, program, opts, say)
  r.previous, r.previous_override = pci.bind(r.addr, nil)
  r.unbound, r.touched = true, true
  say(string.format("unbound from %s", tostring(r.previous or "no driver")))
  if r.port then
    local aer = pci.aer(r.port)
    if aer and aer.mask then
      local old = aer.mask
      local new_unc = old.uncorrectable | M.SURPRISE_DOWN | M.COMPLETION_TIMEOUT
      local now
      r.masked, now = pci.aer_mask(r.port, { uncorrectable = new_unc })
      if now and now.uncorrectable == new_unc then
        say(string.format("masked Surprise Down and Completion Timeout on %s (uncorrectable mask 0x%08x -> 0x%08x)",
          r.port, old.uncorrectable, new_unc))
      else
        -- The port ignored the write (QEMU before 8.0 keeps this mask read-only): say so, the
        -- card may still raise a fatal Surprise Down while it is programmed.
        say(string.format("WARNING: %s did not keep the AER mask (wrote 0x%08x, reads back 0x%08x): Surprise Down "
          .. "and Completion Timeout stay unmasked while the card is programmed", r.port, new_unc,
          now and now.uncorrectable or -1))
      end
    else
      say(string.format("%s has no AER capability: nothing to mask", r.port))
    end
  end
  pci.remove(r.addr)
  r.removed = true
  say(string.format("removed %s", r.addr))
  say(string.format("programming: %s", program))
  local result, status, took = M.run_program(program, opts.timeout or 600)
  if result == "timeout" then
    error(string.format("the programming command did not finish within %g s: stopped it", opts.timeout or 600), 0)
  elseif result == "failed" then
    error(string.format("the programming command failed (exit status %s after %.1f s)", tostring(status), took), 0)
  end
  say(string.format("programming done in %.1f s", took))
  pci.rescan(r.port)
  say(string.format("rescanned %s", r.port and ("below " .. r.port) or "the whole bus"))
  local back, why = pci.wait(r.addr, { timeout = opts.wait or 10 })
  if not back then
    error(string.format("%s did not come back within %g s (%s)", r.addr, opts.wait or 10, tostring(why)), 0)
  end
  r.removed = false
  say(string.format("%s is back (%04x:%04x)", r.addr, back.vendor, back.device))
  -- The link: wait (bounded) for Data Link Layer Link Active when it was active before (a
  -- port that does not report it, as QEMU's for a conventional device, is not waited for).
  r.link_after = link_of(r)
  local deadline = time.ns() + 2e9
  local was_active = r.link_before and r.link_before.dll_active
  while was_active and r.link_after and r.link_after.dll_active == false and time.ns() < deadline do
    time.sleep(0.05)
    r.link_after = link_of(r)
  end
  return back
end

-- Puts back what `r` says was changed; returns the list of what it could not.
function M.restore(r, opts, say)
  local left = {}
  if r.removed then
    local ok, err = pcall(function()
      pci.rescan(r.port)
      if not pci.wait(r.addr, { timeout = opts.wait or 10 }) then error("it did not come back after a rescan", 0) end
    end)
    if ok then
      r.removed = false
      say(string.format("restore: %s is present again (rescan)", r.addr))
    else
      left[#left + 1] = string.format("%s is removed (%s): rescan with: echo 1 > /sys/bus/pci/rescan", r.addr,
        message(err))
    end
  end
  if r.unbound and not r.removed then
    local ok, err = pcall(pci.bind, r.addr, r.previous, { override = r.previous_override or false })
    if ok then
      r.unbound = false
      say(string.format("restore: %s bound to %s again", r.addr, tostring(r.previous or "no driver")))
    else
      left[#left + 1] = string.format("%s is not bound to %s: %s", r.addr, tostring(r.previous), message(err))
    end
  elseif r.unbound then
    left[#left + 1] = string.format("%s is not bound to %s (it is not present)", r.addr, tostring(r.previous))
  end
  if r.masked then
    local ok, err = pcall(pci.aer_mask, r.port, r.masked)
    if ok then
      say(string.format("restore: AER masks of %s put back (uncorrectable 0x%08x)", r.port, r.masked.uncorrectable))
      r.masked = nil
    else
      left[#left + 1] = string.format("the AER masks of %s are still set (restore uncorrectable 0x%08x): %s", r.port,
        r.masked.uncorrectable, message(err))
    end
  end
  return left
end

-- The whole reload of the card at `addr`. opts: timeout (s, the programming command), wait
-- (s, for the card after the rescan), say (a function taking a line).
function M.run(addr, program, opts)
  opts = opts or {}
  local say = opts.say or function() end
  local r = { addr = addr, port = M.upstream_port(addr), mark = pat.mark() }
  r.link_before = link_of(r)
  local ok, err = pcall(steps, r, program, opts, say)
  if not ok then
    r.failure = message(err)
    say(string.format("failed: %s", r.failure))
  end
  r.left = M.restore(r, opts, say)
  return r
end

return M
