-- Run once when a Lua state starts: pci.devices and vfio.open also take `board=` (a name from
-- the boards files) and `serial=` (Device Serial Number). Without those keys the call goes to
-- the Swift function unchanged; with them, barlua.boards is loaded (and the boards files read)
-- on first use. An error keeps the position of the script's line, as without this wrapper:
-- the Swift function runs under pcall (so its message carries no position) and the message is
-- raised again at the caller's level.
local pci, vfio = pci, vfio
local devices, open = pci.devices, vfio.open
local pack, unpack, pcall, error, type = table.pack, table.unpack, pcall, error, type

local function wants_board(f)
  return type(f) == "table" and getmetatable(f) == nil and (rawget(f, "board") ~= nil
    or rawget(f, "serial") ~= nil)
end

-- Calls f(...) on behalf of the script two levels up (the wrappers never tail-call it, so
-- that level is their caller).
local function call(f, ...)
  local r = pack(pcall(f, ...))
  if r[1] then return unpack(r, 2, r.n) end
  error(r[2], type(r[2]) == "string" and 3 or 0)
end

pci.devices = function(...)
  if select("#", ...) == 1 and wants_board((...)) then
    return (call(require("barlua.boards")._devices, "pci.devices", devices, (...)))
  end
  return (call(devices, ...))
end

vfio.open = function(...)
  if select("#", ...) == 1 and wants_board((...)) then
    local found = call(require("barlua.boards")._single, "vfio.open", devices, (...))
    return (call(open, found.addr))
  end
  return (call(open, ...))
end
