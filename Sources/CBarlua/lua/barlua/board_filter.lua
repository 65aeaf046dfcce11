-- Run once when a Lua state starts: pci.devices and vfio.open also take `board=` (a name from
-- the boards files) and `serial=` (Device Serial Number). Without those keys the call goes
-- straight (a tail call) to the Swift function, so its errors and speed are unchanged; with
-- them, barlua.boards is loaded (and the boards files read) on first use.
local pci, vfio = pci, vfio
local devices, open = pci.devices, vfio.open

local function wants_board(f)
  return type(f) == "table" and getmetatable(f) == nil and (rawget(f, "board") ~= nil
    or rawget(f, "serial") ~= nil)
end

pci.devices = function(...)
  if select("#", ...) == 1 and wants_board((...)) then
    return require("barlua.boards")._devices("pci.devices", devices, (...))
  end
  return devices(...)
end

vfio.open = function(...)
  if select("#", ...) == 1 and wants_board((...)) then
    local found = require("barlua.boards")._single("vfio.open", devices, (...))
    return open(found.addr)
  end
  return open(...)
end
