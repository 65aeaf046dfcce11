#!/usr/bin/env barlua
-- PAT observation without the kernel log: with kernel.dmesg_restrict=1 a non-root user cannot
-- read /dev/kmsg. pat.events() must say so and name the fix, and pat_trace must show that
-- message and exit non-zero. The test runs barlua as nobody (uid 65534) through setpriv and
-- restores dmesg_restrict afterwards.
local t = require "barlua.test"

if not os.getenv("BARLUA_EDU") then t.skip("not in the test bed guest (BARLUA_EDU unset)") end

local RESTRICT = "/proc/sys/kernel/dmesg_restrict"

local function read_file(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- A shell word, single-quoted.
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs a shell command; returns its combined output and exit status.
local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local _, _, status = p:close()
  return out, status
end

-- barlua by its real path: the bed's PATH entry is a symlink in a root-only folder.
local barlua = run("readlink -f \"$(command -v barlua)\""):gsub("%s+$", "")
t.ok(barlua:match("^/") and io.open(barlua) ~= nil, "barlua's real path: " .. barlua)
local has_setpriv = run("command -v setpriv") ~= ""
t.ok(has_setpriv, "setpriv is available on the host root")

local saved = read_file(RESTRICT):gsub("%s+$", "")
local as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups " .. q(barlua) .. " "

local ok, err = pcall(function()
  write_file(RESTRICT, "1\n")
  t.is(read_file(RESTRICT):gsub("%s+$", ""), "1", "kernel.dmesg_restrict is now 1")

  local out, status = run(as_nobody .. "-e 'pat.events()'")
  t.ok(status ~= 0, "pat.events() as nobody exits non-zero (status " .. tostring(status) .. ")")
  t.ok(out:find("pat.events", 1, true), "the error names pat.events: " .. out)
  -- The kernel's check_syslog_permissions() answers EPERM.
  t.ok(out:find("open /dev/kmsg: Operation not permitted", 1, true), "it names the call and errno")
  t.ok(out:find("kernel.dmesg_restrict=1", 1, true), "it names dmesg_restrict")
  t.ok(out:find("sysctl kernel.dmesg_restrict=0", 1, true), "it names the fix (sysctl)")

  out, status = run(as_nobody .. "scripts/pat_trace.lua --device " .. q(os.getenv("BARLUA_EDU")))
  t.ok(status ~= 0, "pat_trace as nobody exits non-zero (status " .. tostring(status) .. ")")
  t.ok(out:find("^pat_trace: ") and out:find("kernel.dmesg_restrict=1", 1, true)
    and out:find("sysctl kernel.dmesg_restrict=0", 1, true),
    "pat_trace shows the error with its fix: " .. out)

  -- With the restriction lifted, /dev/kmsg (0644) is readable by anyone: the same call works.
  write_file(RESTRICT, "0\n")
  out, status = run(as_nobody .. "-e 'print(#pat.events() > 0)'")
  t.is(out, "true\n", "with dmesg_restrict=0 nobody reads the PAT events")
  t.is(status, 0, "and exits 0")
end)
write_file(RESTRICT, saved .. "\n")
t.is(read_file(RESTRICT):gsub("%s+$", ""), saved, "kernel.dmesg_restrict restored to " .. saved)
if not ok then t.ok(false, "no error while dmesg_restrict was changed: " .. tostring(err)) end

t.done()
