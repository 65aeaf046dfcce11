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
-- So does every other way out, as Perl's Test::More does at exit: os.exit (a failed test
-- turns a success status into 1), and the end of the interpreter (`barlua -e`, the REPL:
-- a sentinel's __gc runs when the Lua state closes). A failed test never exits 0.
--
-- Test lines go to standard output; diagnostics (failure details, diag(), the closing
-- "Looks like" summary) go to standard error, as Test::More does, so that `prove` shows them
-- without -v while the TAP stream on standard output stays clean.
local M = {}

local out, err = io.stdout, io.stderr
local exit = os.exit
local planned, count, failed, finished = nil, 0, 0, false

local function emit(s)
  out:write(s, "\n")
  out:flush()
end

-- Every line of `text` as a TAP comment on standard error.
local function diag_lines(text)
  out:flush()
  for line in (tostring(text) .. "\n"):gmatch("(.-)\n") do err:write("# ", line, "\n") end
  err:flush()
end

-- The version line must be the first line of the stream (TAP 13), so it goes out when the
-- module is loaded, before anything the script prints.
emit("TAP version 13")

local function check_open(fn)
  if finished then
    error(string.format("test.%s: called after the tests finished (done() or skip-all)", fn), 3)
  end
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

-- A test name on one TAP line: '#' would start a directive, a newline would end the line.
local function tap_name(name)
  return (name:gsub("\\", "\\\\"):gsub("#", "\\#"):gsub("[\r\n]+", " "))
end

local function result(pass, name, diag, where)
  count = count + 1
  local line = (pass and "ok " or "not ok ") .. count
  if name and name ~= "" then line = line .. " - " .. tap_name(name) end
  emit(line)
  if not pass then
    failed = failed + 1
    local named = name and (" '" .. name .. "'") or ""
    diag_lines("  Failed test" .. named .. "\n  at " .. (where or caller()))
    if diag then diag_lines(diag) end
  end
  return pass
end

function M.plan(n)
  check_open("plan")
  if math.type(n) ~= "integer" or n < 0 then
    error("test.plan: the number of tests must be a non-negative integer, got " .. tostring(n), 2)
  end
  if planned then error("test.plan: the plan was already given (1.." .. planned .. ")", 2) end
  if count > 0 then error("test.plan: give the plan before the first test", 2) end
  planned = n
  emit("1.." .. n)
end

function M.ok(cond, name)
  check_open("ok")
  check_name("ok", name)
  local r = result(not not cond, name)
  return r
end

function M.is(got, want, name)
  check_open("is")
  check_name("is", name)
  local pass = got == want or (got ~= got and want ~= want)
  local diag = not pass and ("got: " .. show(got) .. " want: " .. show(want)) or nil
  local mt = type(got) == "table" and getmetatable(got)
  if diag and type(mt) == "table" and mt.__name == "barlua.regs register" then
    -- A register with fields is a view, never equal to a number: its value is .value.
    diag = diag .. "\n(a register with fields: compare its .value or a field)"
  end
  local r = result(pass, name, diag)
  return r
end

-- A string that contains `text` (plain text, not a pattern): error messages, command output.
function M.contains(got, text, name)
  check_open("contains")
  check_name("contains", name)
  if type(text) ~= "string" then
    error("test.contains: the text to look for must be a string, got " .. type(text), 2)
  end
  local pass = type(got) == "string" and got:find(text, 1, true) ~= nil
  local diag = not pass and ("got: " .. show(got) .. "\nwant it to contain: " .. show(text)) or nil
  local r = result(pass, name, diag)
  return r
end

-- The message of the error `fn(...)` raises, or nil when it raises none.
function M.error_of(fn, ...)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    error("test.error_of: expected a function, got " .. type(fn), 2)
  end
  local ok, raised = pcall(fn, ...)
  if ok then return nil end
  return tostring(raised)
end

-- Runs fn; an error inside is a failed test with its message and traceback.
function M.test(name, fn)
  check_open("test")
  check_name("test", name)
  if type(fn) ~= "function" then
    error("test.test: the test must be a function, got " .. type(fn), 2)
  end
  local tb
  local ok = xpcall(fn, function(e)
    tb = debug.traceback(tostring(e), 2)
    return e
  end)
  local r = result(ok, name, not ok and tb or nil)
  return r
end

-- Before any test or plan: the whole script is skipped ("1..0 # SKIP reason", exit status 0).
-- Otherwise: one skipped test ("ok N # SKIP reason"), counted against the plan.
function M.skip(reason)
  check_open("skip")
  if reason ~= nil and type(reason) ~= "string" then
    error("test.skip: reason must be a string, got " .. type(reason), 2)
  end
  reason = (reason or ""):gsub("[\r\n]+", " ")
  if count == 0 and not planned then
    emit("1..0 # SKIP " .. reason)
    finished = true
    exit(0, true)
  end
  count = count + 1
  emit("ok " .. count .. " # SKIP " .. reason)
end

-- A note on standard error as TAP comment lines (shown by prove without -v).
function M.diag(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  diag_lines(table.concat(parts, " "))
end

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

-- The exit status the script deserves: 0 when every test passed and the plan was met.
-- `died` is the error that ended the script, reported as a failed test.
function M.finish(died)
  if finished then
    -- Already reported (finish() called by the script); an error after that still fails it.
    return (died == nil and failed == 0 and (planned == nil or planned == count)) and 0 or 1
  end
  finished = true
  if died ~= nil then result(false, "script died", tostring(died), "the end of the script") end
  if planned == nil then emit("1.." .. count) end
  local status = 0
  if planned ~= nil and planned ~= count then
    diag_lines(string.format("Looks like you planned %s but ran %d.", plural(planned, "test"),
      count))
    status = 1
  end
  if failed > 0 then
    diag_lines(string.format("Looks like you failed %s of %d.", plural(failed, "test"), count))
    status = 1
  end
  return status
end

function M.done()
  local status = M.finish()
  out:flush()
  exit(status, true)
end

-- os.exit while tests are open: check them first; a success status cannot hide a failure.
os.exit = function(code, close)
  if not finished then
    local status = M.finish()
    local success = code == nil or code == true or code == 0
    if status ~= 0 and success then code = status end
  end
  out:flush()
  return exit(code, close)
end

-- The Lua state closing with tests still open (barlua -e, -i, or a host program): check
-- them and, when they failed, end the process with status 1 (nothing else would report it).
-- A state that only loaded the module (no plan, no test) is left alone.
M._sentinel = setmetatable({}, {
  __gc = function()
    if finished or (count == 0 and planned == nil) then return end
    local status = M.finish()
    out:flush()
    err:flush()
    if status ~= 0 then exit(status, false) end
  end,
})

return M
