-- barlua.folder_core.xml_files when memory runs out while it lists a folder: no descriptor
-- is left open (the directory is closed by its userdata's __gc when the memory error unwinds
-- the call). Run under `ulimit -n 64` and `ulimit -v`, with a folder of many .xml files:
--
--   barlua Tests/tools/folder_leak.lua DIR    -> "true\t0": some listings failed for want of
--                                                memory, and no descriptor stayed open
--
-- Memory is filled with 64 KiB strings until an allocation fails, then freed 128 KiB at a
-- time, the folder listed after each step, until a listing succeeds.
local core = require 'barlua.folder_core'
local dir = arg[1]
-- How many more files this process can open (ulimit -n is low): the open descriptors' count.
local function room()
  local open = {}
  while true do
    local f = io.open('/dev/null')
    if not f then break end
    open[#open + 1] = f
  end
  for _, f in ipairs(open) do f:close() end
  return #open
end
local before = room()
local hog = {}
local ok = true
while ok do ok = pcall(function() for _ = 1, 16 do hog[#hog + 1] = string.rep('x', 65536 - 32) .. #hog end end) end
local failed = 0
for _ = 1, 400 do
  for _ = 1, 2 do hog[#hog] = nil end
  collectgarbage()
  local good, res = pcall(core.xml_files, dir, 10000)
  if good and type(res) == 'table' then break end
  failed = failed + 1
end
hog = nil
collectgarbage()
collectgarbage()
print(failed > 0, before - room())
