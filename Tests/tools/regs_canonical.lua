-- regs.load(FILE[, cache]) as canonical text (keys sorted, integers in hex), and how it was
-- served ("cache", "parsed", "parsed: why"), for the cache tests (Tests/CLITests/RegsCacheTests.swift).
--   barlua Tests/tools/regs_canonical.lua FILE [nocache]
local file, nocache = arg[1], arg[2] == "nocache"

local function canon(v, out)
  local t = type(v)
  if t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) == type(b) then return a < b end
      return type(a) == "number"
    end)
    out[#out + 1] = "{"
    for _, k in ipairs(keys) do
      out[#out + 1] = tostring(k) .. "="
      canon(v[k], out)
      out[#out + 1] = ","
    end
    out[#out + 1] = "}"
  elseif math.type(v) == "integer" then
    out[#out + 1] = string.format("0x%x", v)
  elseif t == "string" then
    out[#out + 1] = string.format("%q", v)
  else
    out[#out + 1] = tostring(v) .. "(" .. t .. ")"
  end
end

local how = "parsed"
local spec
if nocache then
  spec = require("barlua.regs").load(file, {cache = false})
else
  local opts = {}
  spec, how = require("barlua.regs_cache").load(file, opts, function()
    return require("barlua.ipxact").load(file, opts)
  end)
end
local out = {}
canon(spec, out)
print(how)
print(table.concat(out))
