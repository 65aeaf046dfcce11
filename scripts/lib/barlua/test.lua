-- barlua.test: shareable device tests that speak TAP version 13 (prove, CI systems).
--
--   local t = require "barlua.test"
--   t.plan(3)                      -- optional; without it, done() prints the plan
--   t.ok(bar:read32(0) ~= 0, "id register answers")
--   t.is(bar:read32(0), 0x010000ed, "edu id")
--   t.test("liveness", function() ... end)   -- an error inside becomes a failed test
--   t.skip("no edu device")        -- before any test: skips the whole script (1..0 # SKIP)
--   local dev = t.device("dut")    -- a board name or a pci.devices filter; absent: skip all
--   t.measure("bandwidth", 812.5, "MB/s")   -- a passing test that carries a figure
--   t.subtest("dma", function() t.ok(...) end)  -- nested TAP 14 / KTAP (4 spaces a level)
--   t.done()                       -- checks the plan; exit status 0 only if all passed
--
-- BARLUA_TEST_FORMAT: "tap" (default), "junit:PATH" (TAP on standard output and a JUnit XML
-- report written to PATH when the script ends), "lava" (TAP, and each result through LAVA's
-- lava-test-case when that command is on PATH, else as a <LAVA_SIGNAL_TESTCASE ...> line).
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
local finished = false
local reporter = require("barlua.test_report")

-- The tests being counted: the script's (depth 0) or a subtest's. A subtest's lines are held
-- until it ends, so its plan can come first (KTAP wants the plan before the results).
local top = { count = 0, failed = 0, depth = 0, prefix = "" }
local cur = top

local function emit(s)
  if cur.lines then
    cur.lines[#cur.lines + 1] = s
    return
  end
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
local report = reporter.new(os.getenv("BARLUA_TEST_FORMAT"))
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

local close_subtest, absent -- defined with subtest() and device()

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

local function caller_at(level)
  local info = debug.getinfo(level, "Sl")
  if info and info.currentline and info.currentline > 0 then
    return info.short_src .. ":" .. info.currentline
  end
  return "?"
end

-- A test name on one TAP line: '#' would start a directive, a newline would end the line.
local function tap_name(name)
  return (name:gsub("\\", "\\\\"):gsub("#", "\\#"):gsub("[\r\n]+", " "))
end

-- One test line; `extra` = {skip=reason, value=, unit=} (a skip or a measurement).
local function result(pass, name, diag, where, extra)
  cur.count = cur.count + 1
  local line = (pass and "ok " or "not ok ") .. cur.count
  if name and name ~= "" then line = line .. " - " .. tap_name(name) end
  if extra and extra.skip then line = line .. " # SKIP " .. extra.skip end
  emit(line)
  if extra and extra.value ~= nil then
    emit("# " .. tap_name(name) .. ": " .. extra.text)
  end
  local located
  if not pass then
    cur.failed = cur.failed + 1
    local named = name and (" '" .. name .. "'") or ""
    located = "  Failed test" .. named .. "\n  at " .. (where or caller())
    diag_lines(located)
    if diag then diag_lines(diag) end
  end
  report:result({
    name = cur.prefix .. ((name and name ~= "") and name or ("test " .. cur.count)),
    pass = pass, skip = extra and extra.skip, value = extra and extra.value,
    unit = extra and extra.unit, diag = diag and ((located or "") .. "\n" .. diag) or located,
  })
  return pass
end

function M.plan(n)
  check_open("plan")
  if math.type(n) ~= "integer" or n < 0 then
    error("test.plan: the number of tests must be a non-negative integer, got " .. tostring(n), 2)
  end
  if cur.planned then
    error("test.plan: the plan was already given (1.." .. cur.planned .. ")", 2)
  end
  if cur.count > 0 then error("test.plan: give the plan before the first test", 2) end
  cur.planned = n
  if cur.depth == 0 then emit("1.." .. n) end
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
  if cur.count == 0 and not cur.planned then
    if cur.depth > 0 then
      cur.skip_all = reason
      error(cur, 0) -- unwinds the subtest's function; subtest() reports it as skipped
    end
    emit("1..0 # SKIP " .. reason)
    report:skip_all(reason)
    report:finish()
    finished = true
    exit(0, true)
  end
  result(true, nil, nil, nil, { skip = reason })
end

-- A passing test that carries a measurement: TAP "ok N - name" and a comment line
-- "# name: value unit"; JUnit properties; LAVA --measurement/--units.
function M.measure(name, value, unit)
  check_open("measure")
  if type(name) ~= "string" or name == "" then
    error("test.measure: name must be a non-empty string, got " .. type(name), 2)
  end
  if type(value) ~= "number" or value ~= value or value == math.huge or value == -math.huge then
    error("test.measure: value must be a finite number, got " .. tostring(value), 2)
  end
  if unit ~= nil and (type(unit) ~= "string" or unit:find("[%s%c=<>]")) then
    error("test.measure: unit must be a string without spaces, '=', '<' or '>' (LAVA splits on "
      .. "them), got " .. (type(unit) == "string" and string.format("%q", unit) or type(unit)), 2)
  end
  local text = reporter.number_text(value) .. ((unit and unit ~= "") and (" " .. unit) or "")
  local r = result(true, name, nil, nil, { value = value, unit = unit, text = text })
  return r
end

-- Ends subtest `sub` (already popped: cur is its parent): its lines, indented one level, and
-- its result line in the parent.
close_subtest = function(sub, died)
  local plan
  if sub.skip_all then
    plan = "1..0 # SKIP " .. sub.skip_all
  else
    plan = "1.." .. (sub.planned or sub.count)
  end
  emit("    # Subtest: " .. tap_name(sub.name))
  emit("    " .. plan)
  for _, l in ipairs(sub.lines) do emit("    " .. l) end
  if sub.skip_all then
    result(true, sub.name, nil, nil, { skip = sub.skip_all })
    return true
  end
  local diag
  if sub.planned and sub.planned ~= sub.count then
    diag = string.format("planned %s but ran %d", plural(sub.planned, "test"), sub.count)
  end
  if died then diag = (diag and (diag .. "\n") or "") .. died end
  if sub.failed > 0 and not diag then
    diag = string.format("failed %d of %d tests in subtest '%s'", sub.failed, sub.count, sub.name)
  end
  local r = result(sub.failed == 0 and diag == nil, sub.name, diag, sub.where)
  return r
end

-- Nested tests (TAP 14 subtest / KTAP): fn's tests are counted on their own, printed indented
-- by 4 spaces under "# Subtest: name" and their plan, and the subtest passes when all of them
-- do (and its plan, if it gave one, is met). An error inside fails the subtest; t.skip before
-- any test inside skips it.
function M.subtest(name, fn)
  check_open("subtest")
  if type(name) ~= "string" or name == "" then
    error("test.subtest: name must be a non-empty string, got " .. type(name), 2)
  end
  if type(fn) ~= "function" then
    error("test.subtest: the subtest must be a function, got " .. type(fn), 2)
  end
  local parent = cur
  local sub = { count = 0, failed = 0, depth = parent.depth + 1, lines = {}, name = name,
    parent = parent, prefix = parent.prefix .. name .. "/", where = caller_at(3) }
  cur = sub
  local tb
  local ok = xpcall(fn, function(e)
    if e == sub then return e end
    tb = debug.traceback(tostring(e), 2)
    return e
  end)
  -- A nested subtest left open by an error (its own pcall did not run): close it first.
  while cur ~= sub and cur ~= top do
    local inner = cur
    cur = inner.parent
    inner.failed = inner.failed + 1
    close_subtest(inner, "died")
  end
  if finished then
    cur = parent
    return false
  end
  if not ok and not sub.skip_all then
    cur = sub
    result(false, "subtest died", tb, "subtest '" .. name .. "'")
  end
  cur = parent
  local r = close_subtest(sub)
  return r
end

-- The device a test script runs on: `what` is a board name (barlua.boards) or a pci.devices
-- filter (serial= allowed). Absent: the whole script is skipped (1..0 # SKIP no board "dut"
-- on this machine). Several devices: an error listing them. Call it before the first test.
function M.device(what)
  check_open("device")
  local boards = require("barlua.boards")
  local filter, absent_reason
  if type(what) == "string" then
    local found, f = pcall(boards.find, what)
    if not found then error("test.device: " .. tostring(f), 2) end
    absent_reason = string.format("no board %q on this machine", what)
    if not f then
      local files = boards.sources()
      diag_lines(string.format("board %q is in no boards file (read: %s)", what,
        #files > 0 and table.concat(files, ", ") or "none"))
      absent(absent_reason) -- exits (skip all) or raises
      return nil
    end
    filter = { board = what }
  elseif type(what) == "table" then
    filter = what
  else
    error("test.device: expected a board name or a pci.devices filter, got " .. type(what), 2)
  end
  local pci = require("barlua.pci")
  local ok, list, resolved, notes = pcall(boards.resolve, "test.device", pci.devices, filter, -1)
  if not ok then
    local m = tostring(list):gsub("^pci%.devices: ", "")
    if not m:find("^test%.device: ") then m = "test.device: " .. m end
    error(m, 2)
  end
  if #list == 0 then
    absent_reason = absent_reason
      or ("no device matching " .. boards.describe(resolved) .. " on this machine")
    if notes and #notes > 0 then diag_lines("serial unreadable: " .. table.concat(notes, "; ")) end
    absent(absent_reason)
    return nil
  end
  if #list > 1 then
    local addrs = {}
    for i, d in ipairs(list) do addrs[i] = d.addr end
    error(string.format("test.device: %s matches %d devices: %s; add addr= or serial= to the %s",
      type(what) == "string" and string.format("board %q", what) or boards.describe(resolved),
      #list, table.concat(addrs, ", "), type(what) == "string" and "board" or "filter"), 2)
  end
  return list[1]
end

absent = function(reason)
  if cur.count > 0 or cur.planned or cur ~= top then
    error("test.device: " .. reason .. " (call t.device before the first test, so a machine "
      .. "without the device skips the whole script)", 3)
  end
  M.skip(reason)
end

-- A note on standard error as TAP comment lines (shown by prove without -v).
function M.diag(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  diag_lines(table.concat(parts, " "))
end


-- The exit status the script deserves: 0 when every test passed and the plan was met.
-- `died` is the error that ended the script, reported as a failed test.
function M.finish(died)
  if finished then
    -- Already reported (finish() called by the script); an error after that still fails it.
    return (died == nil and top.failed == 0 and (top.planned == nil or top.planned == top.count))
      and 0 or 1
  end
  finished = true
  -- Died inside a subtest: close the open subtests first, each as failed.
  while cur ~= top do
    local sub = cur
    cur = sub.parent
    if died ~= nil then sub.failed = sub.failed + 1 end
    close_subtest(sub, died ~= nil and "script died inside" or nil)
  end
  if died ~= nil then result(false, "script died", tostring(died), "the end of the script") end
  if top.planned == nil then emit("1.." .. top.count) end
  local status = 0
  if top.planned ~= nil and top.planned ~= top.count then
    diag_lines(string.format("Looks like you planned %s but ran %d.", plural(top.planned, "test"),
      top.count))
    status = 1
  end
  if top.failed > 0 then
    diag_lines(string.format("Looks like you failed %s of %d.", plural(top.failed, "test"),
      top.count))
    status = 1
  end
  report:finish(status ~= 0 and top.planned ~= nil and top.planned ~= top.count
    and string.format("planned %d tests but ran %d", top.planned, top.count) or nil)
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
    if finished or (top.count == 0 and top.planned == nil) then return end
    local status = M.finish()
    out:flush()
    err:flush()
    if status ~= 0 then exit(status, false) end
  end,
})

return M
