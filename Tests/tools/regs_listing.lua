-- barlua Tests/tools/regs_listing.lua FILE [MAP [BLOCK]]: regs.load's reading of an IP-XACT
-- file in the format of Tests/tools/ipxact_reference.py (the independent reading), so the two
-- can be compared line by line; then regs.define's verdict on it ("define: ok" or the error).
local regs = require "barlua.regs"
local path, map, block = ...
local spec = regs.load(path, {map = map, block = block})
local lines = {}
for _, r in ipairs(spec.registers) do
  local fields = {}
  for _, f in pairs(r.fields or {}) do fields[#fields + 1] = f end
  table.sort(fields, function(a, b) return a.bit < b.bit or (a.bit == b.bit and a.origin.name < b.origin.name) end)
  local fs = {}
  for i, f in ipairs(fields) do
    fs[i] = string.format("%s@%d+%d:%s", f.origin.name, f.bit, f.width, f.origin.access)
  end
  lines[#lines + 1] = {r.offset, r.name, string.format("0x%x %d %s access=%s barlua=%s reset=0x%x fields=%s",
    r.offset, r.origin.bits, r.name, r.origin.access or "-", r.access, r.reset, table.concat(fs, ","))}
end
table.sort(lines, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
for _, l in ipairs(lines) do print(l[3]) end
local ok, err = pcall(regs.define, spec)
io.stderr:write(ok and "define: ok\n" or ("define: " .. tostring(err) .. "\n"))
