-- What barlua's scripts share: an error's text for the user, sizes in words, command-line checks.
--   local script = require "barlua.script"
--   script.message(err)      -- "bar is unmapped", without the "x.lua:12: " Lua puts in front
--   script.size_text(n)      -- "4 MiB": the largest binary unit that divides n, as tostring(bar)
--   script.bar_number("3")   -- 3; nil for anything but an integer 0..5
--   script.fail(prog, status, text) -- "prog: text" on stderr, then exit with status
-- Built into barlua: `...` holds the module name, its pseudo file name and barlua's C helpers.
local _, _, c = ...

local M = {}

-- An error value's text without the "script.lua:123: " position Lua puts in front: the user
-- needs the message, not our line number.
function M.message(err)
  return (tostring(err):gsub("^[^\n]-%.lua:%d+: ", ""))
end

-- The first line of an error value's text, without the position (for one-line reports).
function M.first_line(err)
  return (M.message(err):gsub("\n.*", ""))
end

-- n bytes in the largest binary unit that divides n: "4 MiB", "64 KiB", "100 bytes".
M.size_text = c.size_text

-- A BAR number given as text: the integer 0..5, else nil.
function M.bar_number(text)
  local n = math.tointeger(tonumber(text))
  if not n or n < 0 or n > 5 then return nil end
  return n
end

-- Ends the script: "prog: text" on stderr, exit status `status`.
function M.fail(prog, status, text)
  io.stderr:write(prog, ": ", tostring(text), "\n")
  os.exit(status)
end

return M
