-- script_output: what barlua's scripts print and write, so that no output is lost silently and
-- no device or file text reaches the terminal raw.
--
--   local out = require "script_output"
--   out.guard("bar_timing")          -- from here on, os.exit (and out.done) fail loudly when
--                                    -- standard output could not be written (a full disk, /dev/full)
--   print("text=" .. out.text(bytes_from_a_device))   -- control bytes shown as \x1b, \n, ...
--   local print = out.print          -- the same for whole lines (newlines and tabs kept)
--   local ok, err = out.write_file(path, data)   -- every write and the close checked
--   out.done()                       -- at the end of the script (exit status 1 on a lost write)
local M = {}

-- Bytes that are not printable ASCII, shown as escapes: a BAR or a log file may hold terminal
-- control sequences (ESC [ ...), which must not reach the user's terminal as such.
local NAMED = {["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\\"] = "\\\\"}

-- `s` with every control byte (0x00-0x1f, 0x7f), every byte from 0x80 and the backslash
-- escaped (\n, \r, \t, \\, \xNN): safe to print, and the original bytes can be read back.
function M.text(s)
  return (tostring(s):gsub("[%c\\\128-\255]", function(c)
    return NAMED[c] or string.format("\\x%02x", c:byte())
  end))
end

-- Like print, with each value's bytes escaped as by M.text except newlines and tabs (the
-- script's own line structure): for lines that hold text read from a device or a file.
function M.print(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    parts[i] = tostring((select(i, ...))):gsub("[%c\\\128-\255]", function(c)
      if c == "\n" or c == "\t" then return c end
      return NAMED[c] or string.format("\\x%02x", c:byte())
    end)
  end
  io.stdout:write(table.concat(parts, "\t"), "\n")
end

-- Writes `data` to the file `path` (`mode` "wb" unless given) and closes it, each step checked.
-- Returns true, or nil and "cannot write PATH: why".
function M.write_file(path, data, mode)
  local f, err = io.open(path, mode or "wb")
  if not f then
    -- io.open's message starts with the path.
    return nil, "cannot write " .. path .. ": " .. tostring(err):gsub("^" .. path:gsub("%p", "%%%0") .. ": ", "")
  end
  local ok, werr = f:write(data)
  local closed, cerr = f:close()
  if not ok then return nil, "cannot write " .. path .. ": " .. tostring(werr) end
  if not closed then return nil, "cannot write " .. path .. ": " .. tostring(cerr) end
  return true
end

local prog
local real_exit = os.exit
local lost -- why a write to standard output failed, the first time

-- Whether everything printed reached standard output; nil and why when it did not. A failed
-- write is remembered when it happens: C's stdio drops the buffer, so a later flush succeeds.
local function stdout_ok()
  if lost then return nil, lost end
  local ok, err = io.stdout:flush()
  if not ok then
    lost = err
    return nil, err
  end
  return true
end

-- Exit `status`, but with 1 and a message naming standard output when a write to it was lost.
local function exit(status, close)
  local ok, err = stdout_ok()
  if not ok then
    io.stderr:write(prog, ": cannot write standard output: ", tostring(err), "\n")
    if status == nil or status == true or status == 0 then status = 1 end
  end
  return real_exit(status, close)
end

-- From here on every write to standard output is checked (print, io.write and
-- io.stdout:write go through file:write, which reports a failure, as does file:flush), and
-- os.exit (and done)
-- fail loudly when one was lost; `name` starts the message.
function M.guard(name)
  prog = name
  local methods = getmetatable(io.stdout).__index
  for _, method in ipairs{"write", "flush"} do
    local call = methods[method]
    methods[method] = function(f, ...)
      local r, err = call(f, ...)
      if not r and f == io.stdout then lost = lost or err end
      return r, err
    end
  end
  -- luacheck: push ignore 121 122 (the script's own print, io.write and os.exit, checked)
  print = function(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    io.stdout:write(table.concat(parts, "\t"), "\n")
  end
  io.write = function(...) return io.output():write(...) end
  os.exit = exit
  -- luacheck: pop
end

-- The end of a script that did not call os.exit: exit 0, or 1 when output was lost.
function M.done()
  local ok = stdout_ok()
  if not ok then exit(1) end
end

return M
