-- barlua.test: shareable device tests that speak TAP version 13 (prove, CI systems).
--
--   local t = require "barlua.test"
--   t.plan(3)                      -- optional; without it, done() prints the plan
--   t.ok(bar:read32(0) ~= 0, "id register answers")
--   t.is(bar:read32(0), 0x010000ed, "edu id")
--   t.test("liveness", function() ... end)   -- an error inside becomes a failed test
--   t.skip("no edu device")        -- before any test: skips the whole script (1..0 # SKIP)
--   t.done()                       -- checks the plan; exit status 0 only if all passed
--
-- A script that ends, or dies, without done() gets the same checks: barlua calls finish().
local M = {}

local out = io.stdout
local started, planned, count, failed, finished = false, nil, 0, 0, false

local function emit(s)
  out:write(s, "\n")
  out:flush()
end

local function start()
  if not started then
    started = true
    emit("TAP version 13")
  end
end

local function diag_lines(text)
  for line in (tostring(text) .. "\n"):gmatch("(.-)\n") do emit("# " .. line) end
end

-- Integers in hex (registers), strings quoted, the rest with tostring.
local function show(v)
  if math.type(v) == "integer" then
    if v < 0 then return string.format("%d (0x%x)", v, v) end
    return string.format("0x%x", v)
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end
M.show = show

local function check_name(fn, name)
  if name ~= nil and type(name) ~= "string" then
    error(string.format("test.%s: name must be a string, got %s", fn, type(name)), 3)
  end
end

-- The script line that called ok/is/test (level 4: caller <- result <- ok/is/test <- script;
-- ok/is/test keep their frame by not tail-calling result).
local function caller()
  local info = debug.getinfo(4, "Sl")
  if info and info.currentline and info.currentline > 0 then
    return info.short_src .. ":" .. info.currentline
  end
  return "?"
end

local function result(pass, name, diag)
  start()
  count = count + 1
  local line = (pass and "ok " or "not ok ") .. count
  if name and name ~= "" then line = line .. " - " .. name:gsub("#", "\\#") end
  emit(line)
  if not pass then
    failed = failed + 1
    emit("#   Failed test" .. (name and (" '" .. name .. "'") or "") .. " at " .. caller())
    if diag then diag_lines(diag) end
  end
  return pass
end

function M.plan(n)
  if math.type(n) ~= "integer" or n < 0 then
    error("test.plan: the number of tests must be a non-negative integer, got " .. tostring(n), 2)
  end
  if planned then error("test.plan: the plan was already given (1.." .. planned .. ")", 2) end
  if count > 0 then error("test.plan: give the plan before the first test", 2) end
  start()
  planned = n
  emit("1.." .. n)
end

function M.ok(cond, name)
  check_name("ok", name)
  local r = result(not not cond, name)
  return r
end

function M.is(got, want, name)
  check_name("is", name)
  local pass = got == want or (got ~= got and want ~= want)
  local r = result(pass, name, not pass and ("got: " .. show(got) .. " want: " .. show(want)) or nil)
  return r
end

-- Runs fn; an error inside is a failed test with its message and traceback.
function M.test(name, fn)
  check_name("test", name)
  if type(fn) ~= "function" then error("test.test: the test must be a function, got " .. type(fn), 2) end
  local tb
  local ok = xpcall(fn, function(e)
    tb = debug.traceback(tostring(e), 2)
    return e
  end)
  local r = result(ok, name, not ok and tb or nil)
  return r
end

-- Before any test: the whole script is skipped ("1..0 # SKIP reason", exit status 0).
-- After tests have run: one skipped test ("ok N # SKIP reason").
function M.skip(reason)
  if reason ~= nil and type(reason) ~= "string" then
    error("test.skip: reason must be a string, got " .. type(reason), 2)
  end
  reason = reason or ""
  if count == 0 and not planned then
    start()
    emit("1..0 # SKIP " .. reason)
    finished = true
    out:flush()
    os.exit(0, true)
  end
  start()
  count = count + 1
  emit("ok " .. count .. " # SKIP " .. reason)
end

function M.diag(...)
  start()
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  diag_lines(table.concat(parts, " "))
end

-- The exit status the script deserves: 0 when every test passed and the plan was met.
-- `err` is an error that ended the script, reported as a failed test.
function M.finish(err)
  if finished then return failed == 0 and 0 or 1 end
  finished = true
  if err ~= nil then
    result(false, "script died", tostring(err))
  end
  start()
  if planned == nil then
    emit("1.." .. count)
  elseif planned ~= count then
    emit(string.format("# Looks like you planned %d test%s but ran %d.", planned, planned == 1 and "" or "s", count))
    return 1
  end
  if failed > 0 then
    emit(string.format("# Looks like you failed %d test%s of %d.", failed, failed == 1 and "" or "s", count))
    return 1
  end
  return 0
end

function M.done()
  local status = M.finish()
  out:flush()
  os.exit(status, true)
end

return M
