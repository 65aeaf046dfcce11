-- barlua.test's other report formats (BARLUA_TEST_FORMAT), beside the TAP it always prints:
--   tap          nothing more
--   junit:PATH   a JUnit XML report written to PATH when the script ends (the schema Jenkins'
--                xUnit plugin checks, junit-10.xsd): one testsuite per script, one testcase
--                per test (a subtest's tests named "subtest/test"), measurements as the
--                suite's properties NAME = value and NAME.unit = unit
--   lava         each result as LAVA reads it: through `lava-test-case NAME --result R
--                [--measurement V --units U]` when that command is on PATH (inside a LAVA test
--                shell), else as a <LAVA_SIGNAL_TESTCASE ...> line on standard output
local M = {}
M.__index = M

local function fail_format(value)
  error(string.format("barlua.test: BARLUA_TEST_FORMAT=%q is not tap, junit:PATH or lava", value),
    0)
end

function M.new(format)
  local r = setmetatable({ kind = "tap", results = {}, started = os.time() }, M)
  local clock = rawget(_G, "time")
  r.now = (type(clock) == "table" and clock.ns) or function() return math.floor(os.clock() * 1e9) end
  r.t0 = r.now()
  r.last = r.t0
  if format == nil or format == "" or format == "tap" then return r end
  if format == "lava" then
    r.kind = "lava"
    r.lava_command = M.find_command("lava-test-case")
    return r
  end
  local path = format:match("^junit:(.+)$")
  if not path or path:find("\0", 1, true) then fail_format(format) end
  r.kind, r.path = "junit", path
  return r
end

-- The full path of `name` on PATH, or nil (an executable regular file).
function M.find_command(name)
  local ok, sys = pcall(require, "barlua.sys")
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local p = dir .. "/" .. name
    if ok then
      local st = sys.stat(p)
      if st and st.type == "file" and sys.access(p, "r") and st.mode & 73 ~= 0 then return p end
    end
  end
  return nil
end

-- A LAVA test case id: LAVA splits the signal on white space and stops at '>'
-- (lava_dispatcher/actions/test/shell.py); keep letters, digits, '.', '_', '-'.
function M.lava_id(name)
  local id = name:gsub("[^%w._-]", "_")
  return id ~= "" and id or "unnamed"
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function number_text(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  return string.format("%.8g", v)
end
M.number_text = number_text

function M:lava(rec)
  local result = rec.skip and "skip" or (rec.pass and "pass" or "fail")
  local id = M.lava_id(rec.name)
  local value = rec.value ~= nil and number_text(rec.value) or nil
  local unit = rec.unit and rec.unit ~= "" and rec.unit or nil
  if self.lava_command then
    local cmd = shell_quote(self.lava_command) .. " " .. shell_quote(id) .. " --result " .. result
    if value then
      cmd = cmd .. " --measurement " .. shell_quote(value)
      if unit then cmd = cmd .. " --units " .. shell_quote(unit) end
    end
    io.stdout:flush()
    local ok = os.execute(cmd)
    if ok then return end
    io.stderr:write("# lava-test-case failed for ", id, "; printing the signal instead\n")
  end
  -- The same line lava-test-case prints (lava_dispatcher/lava_test_shell/lava-test-case).
  local line = "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=" .. id .. " RESULT=" .. result
  if value then
    if unit then line = line .. " UNITS=" .. unit end
    line = line .. " MEASUREMENT=" .. value
  end
  io.stdout:write(line, ">\n")
  io.stdout:flush()
end

function M:result(rec)
  local now = self.now()
  rec.time = (now - self.last) / 1e9
  self.last = now
  if self.kind == "lava" then
    self:lava(rec)
  elseif self.kind == "junit" then
    self.results[#self.results + 1] = rec
  end
end

function M:skip_all(reason)
  if self.kind == "lava" then
    self:lava({ name = M.script_name(), skip = reason })
  elseif self.kind == "junit" then
    self.skipped_all = reason
  end
end

function M.script_name()
  local a = rawget(_G, "arg")
  local s = type(a) == "table" and type(a[0]) == "string" and a[0] or "barlua"
  return (s:match("([^/]+)$") or s):gsub("%.lua$", "")
end

-- XML text: the five entities; characters XML 1.0 forbids and invalid UTF-8 become U+FFFD.
local function xml(s)
  s = tostring(s)
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "?") end
  s = s:gsub("[%z\1-\8\11\12\14-\31\127]", "\239\191\189")
  return (s:gsub("[&<>\"']", {
    ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;",
  }))
end
M.xml = xml

local function read_hostname()
  local f = io.open("/proc/sys/kernel/hostname", "r")
  if not f then return nil end
  local h = f:read("l")
  f:close()
  return h
end

function M:junit_text(problem)
  local suite = M.script_name()
  local cases, props = {}, {}
  local tests, failures, skipped = 0, 0, 0
  local function case(name, body, t)
    cases[#cases + 1] = string.format('    <testcase classname="%s" name="%s" time="%.6f"%s',
      xml(suite), xml(name), t or 0, body and (">\n" .. body .. "    </testcase>") or "/>")
  end
  if self.skipped_all then
    tests, skipped = 1, 1
    case(suite, string.format('      <skipped message="%s"/>\n', xml(self.skipped_all)))
  end
  for _, r in ipairs(self.results) do
    tests = tests + 1
    local body
    if r.skip then
      skipped = skipped + 1
      body = string.format('      <skipped message="%s"/>\n', xml(r.skip))
    elseif not r.pass then
      failures = failures + 1
      local d = r.diag or ""
      body = string.format('      <failure message="%s" type="tap">%s</failure>\n',
        xml(d:match("^%s*([^\n]+)") or "failed"), xml(d))
    end
    if r.value ~= nil then
      props[#props + 1] = string.format('    <property name="%s" value="%s"/>', xml(r.name),
        xml(number_text(r.value)))
      if r.unit and r.unit ~= "" then
        props[#props + 1] = string.format('    <property name="%s.unit" value="%s"/>',
          xml(r.name), xml(r.unit))
      end
    end
    case(r.name, body, r.time)
  end
  if problem then
    tests, failures = tests + 1, failures + 1
    case("plan", string.format('      <failure message="%s" type="tap"/>\n', xml(problem)))
  end
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>',
    string.format('<testsuites tests="%d" failures="%d" errors="0">', tests, failures),
    string.format('  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="%d" '
      .. 'time="%.6f" timestamp="%s"%s>', xml(suite), tests, failures, skipped,
      (self.now() - self.t0) / 1e9, os.date("!%Y-%m-%dT%H:%M:%S", self.started),
      (function()
        local h = read_hostname()
        return h and string.format(' hostname="%s"', xml(h)) or ""
      end)()),
  }
  if #props > 0 then
    out[#out + 1] = "    <properties>"
    for _, p in ipairs(props) do out[#out + 1] = "  " .. p end
    out[#out + 1] = "    </properties>"
  end
  for _, c in ipairs(cases) do out[#out + 1] = c end
  out[#out + 1] = "  </testsuite>"
  out[#out + 1] = "</testsuites>"
  return table.concat(out, "\n") .. "\n"
end

-- Writes the JUnit report (through a temporary file renamed into place, so a reader never
-- sees half a report). A failure to write is reported on standard error, not raised: the
-- TAP verdict stands.
function M:finish(problem)
  if self.kind ~= "junit" or self.written then return end
  self.written = true
  local tmp = self.path .. ".tmp"
  local f, e = io.open(tmp, "wb")
  if f then
    local ok, we = f:write(self:junit_text(problem))
    f:close()
    if ok then
      local rok, re = os.rename(tmp, self.path)
      if rok then return end
      e = re
    else
      e = we
    end
    os.remove(tmp)
  end
  io.stderr:write("# barlua.test: cannot write the JUnit report ", self.path, ": ", tostring(e),
    "\n")
end

return M
