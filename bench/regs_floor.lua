-- The floor under a cached regs.load of bench/regs_load's file: Lua itself making the tables
-- of the result (per register: the register, its origin, its fields table, and three fields
-- each with an origin: nine tables, 38 keys), with table constructors, the fastest way Lua has,
-- in a fresh process (its heap not yet faulted in, as a cached load meets it) with the
-- collector stopped (no collector work at all; the cache's decoder runs with it running). A
-- cached load also hashes the file, reads the entry and checks it, so it cannot beat this.
--   barlua bench/regs_floor.lua REGISTERS   -> CPU seconds (bench/regs_load: best of its runs)
local n = math.tointeger(tonumber(arg[1]))
assert(n and n > 0, "usage: barlua bench/regs_floor.lua REGISTERS")
collectgarbage("stop")
local t0 = os.clock()
local regs = {}
for i = 1, n do
  local line = 10 * i
  regs[i] = {name = "block.r" .. i, offset = 4 * i, width = 32, access = "rw", reset = 0, doc = "Register",
    origin = {bits = 32, line = line, element = "register"},
    fields = {
      enable = {bit = 0, width = 1, access = "rw", doc = "enable",
        origin = {name = "enable", access = "read-write", line = line + 1}},
      mode = {bit = 4, width = 4, access = "rw", doc = "mode",
        origin = {name = "mode", access = "read-write", line = line + 2}},
      count = {bit = 16, width = 16, access = "ro", doc = "count",
        origin = {name = "count", access = "read-only", line = line + 3}}}}
end
local t = os.clock() - t0
assert(#regs == n)
print(string.format("%.3f", t))
