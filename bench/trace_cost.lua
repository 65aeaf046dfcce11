-- The cost of bar:trace per access: the same single accesses with tracing off and on, ns per
-- call (CPU time, best of 5 passes, as bench/barlua.lua measures). Prints "name ns" lines:
-- off_readN / on_readN / off_writeN / on_writeN.
-- usage: barlua bench/trace_cost.lua FILE N   (N accesses per pass; tracing keeps N entries)
local path, N = arg[1], math.tointeger(arg[2])
local b = mmio.map(path)

local function best_of_5(f)
  local best = math.huge
  for _ = 1, 5 do
    local t = os.clock()
    f()
    best = math.min(best, os.clock() - t)
  end
  return best / N * 1e9
end

local ops = {
  read8 = function() for _ = 1, N do b:read8(8) end end,
  read32 = function() for _ = 1, N do b:read32(8) end end,
  read64 = function() for _ = 1, N do b:read64(8) end end,
  write8 = function() for _ = 1, N do b:write8(8, 1) end end,
  write32 = function() for _ = 1, N do b:write32(8, 1) end end,
  write64 = function() for _ = 1, N do b:write64(8, 1) end end,
}
-- A warm-up of both states first (the first pass of a fresh process runs slower).
for _ = 1, 2 do
  ops.read8()
  b:trace{limit = N}
  ops.read8()
  b:trace_stop()
end
collectgarbage()
for _, name in ipairs{"read8", "read32", "read64", "write8", "write32", "write64"} do
  io.write("off_", name, " ", string.format("%.3f", best_of_5(ops[name])), "\n")
  -- Tracing on: each pass records N entries into a fresh trace (its growth included).
  local best = math.huge
  for _ = 1, 5 do
    b:trace{limit = N}
    local t = os.clock()
    ops[name]()
    best = math.min(best, os.clock() - t)
    local trace = b:trace_stop()
    assert(#trace == N and trace.dropped == 0)
  end
  io.write("on_", name, " ", string.format("%.3f", best / N * 1e9), "\n")
  collectgarbage()
end
