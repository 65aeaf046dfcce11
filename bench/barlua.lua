-- barlua's side of the benchmark: the same operations as floor.c, through `bar`.
-- usage: barlua bench/barlua.lua SMALLFILE BIGFILE N
local small_path, big_path, N = arg[1], arg[2], math.tointeger(arg[3])
local b = mmio.map(small_path)
local big = mmio.map(big_path)

-- The shortest of 5 runs of f, on the clock given (the floors in floor.c are measured the
-- same way).
local function best_of_5(clock, f)
  local best = math.huge
  for _ = 1, 5 do
    local t = clock()
    f()
    best = math.min(best, clock() - t)
  end
  return best
end

-- ns per call (CPU time).
local function run(name, f)
  io.write(name, " ", string.format("%.3f", best_of_5(os.clock, f) / N * 1e9), "\n")
end

run("bar_read8", function() for _ = 1, N do b:read8(8) end end)
run("bar_read16", function() for _ = 1, N do b:read16(8) end end)
run("bar_read32", function() for _ = 1, N do b:read32(8) end end)
run("bar_read64", function() for _ = 1, N do b:read64(8) end end)
run("bar_write8", function() for _ = 1, N do b:write8(8, 1) end end)
run("bar_write16", function() for _ = 1, N do b:write16(8, 1) end end)
run("bar_write32", function() for _ = 1, N do b:write32(8, 1) end end)
run("bar_write64", function() for _ = 1, N do b:write64(8, 1) end end)
run("bar_read64hl", function() for _ = 1, N do b:read64hl(8) end end)
run("bar_read64lh", function() for _ = 1, N do b:read64lh(8) end end)
run("bar_write64hl", function() for _ = 1, N do b:write64hl(8, 1) end end)
run("bar_write64lh", function() for _ = 1, N do b:write64lh(8, 1) end end)

-- Bulk, best of 5 over the whole 64 MiB mapping, in MB/s.
local size = big.size
local zeros = string.rep("\0", size)
local function bulk(name, f)
  io.write(name, " ", string.format("%.1f", size / (best_of_5(time.ns, f) / 1e9) / 1e6), "\n")
end
bulk("bar_fill", function() big:fill(0) end)
bulk("bar_count", function() assert(big:count(0) == size) end)
bulk("bar_compare", function() assert(big:compare(0, zeros) == nil) end)
bulk("bar_read", function() big:read(0, size) end)
bulk("bar_write", function() big:write(0, zeros) end)
for _, w in ipairs{8, 16, 32, 64} do
  bulk("bar_vread" .. w, function() big:read(0, size, w) end)
  bulk("bar_vwrite" .. w, function() big:write(0, zeros, w) end)
  bulk("bar_vfill" .. w, function() big:fill(0, 0, size, w) end)
end

-- bar:poll32 on a word that never matches: reads per second (millions), best of 5.
local best_rate = 0
for _ = 1, 5 do
  local t = time.ns()
  local _, _, _, reads = big:poll32(0, 1, 1, 0.3)
  best_rate = math.max(best_rate, reads / ((time.ns() - t) / 1e9))
end
io.write("bar_poll32 ", string.format("%.1f", best_rate / 1e6), "\n")

-- bar:dump (hexdump -C layout) over the first 4 MiB, in MB/s of BAR bytes dumped; bench/run
-- compares it with `hexdump -C` on the same bytes.
local dump_size = 4 << 20
local best = math.huge
for _ = 1, 5 do
  local t = time.ns()
  big:dump(0, dump_size)
  best = math.min(best, time.ns() - t)
end
io.write("bar_dump ", string.format("%.1f", dump_size / (best / 1e9) / 1e6), "\n")
