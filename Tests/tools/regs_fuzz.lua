-- barlua Tests/tools/regs_fuzz.lua SEED COUNT FILE...: mutates the IP-XACT files (truncation,
-- byte changes toward XML and expression syntax, repeated and deleted slices) and loads each
-- mutant with regs.load then regs.define: every one must return or raise an error of regs
-- (a string starting with "regs.load: " or "regs.define: "), never die or hang.
local regs = require "barlua.regs"
local seed, count = tonumber(arg[1]), tonumber(arg[2])
math.randomseed(seed)
local texts = {}
for i = 3, #arg do
  local f = assert(io.open(arg[i], "rb"))
  texts[#texts + 1] = f:read("a")
  f:close()
end
local alphabet = "<>/='\"0123456789abcdefxh-+*()$&|?:{}; \n"
local function mutate(s)
  for _ = 1, math.random(1, 4) do
    local n = #s
    local i = math.random(1, math.max(1, n))
    local kind = math.random(1, 5)
    if kind == 1 then
      s = s:sub(1, i)
    elseif kind == 2 then
      local c = math.random(1, #alphabet)
      s = s:sub(1, i - 1) .. alphabet:sub(c, c) .. s:sub(i + 1)
    elseif kind == 3 then
      local j = math.min(n, i + math.random(0, 200))
      s = s:sub(1, j) .. s:sub(i, j) .. s:sub(j + 1)
    elseif kind == 4 then
      s = s:sub(1, i - 1) .. s:sub(i + math.random(1, 64))
    else
      -- A number inside an element becomes a large or negative one.
      local big = {"-1", "0", "2**62", "4294967296", "99999999999999999999"}
      s = s:gsub(">(%d+)<", function()
        if math.random() < 0.05 then return ">" .. big[math.random(1, 5)] .. "<" end
      end)
    end
  end
  return s
end
local path = os.tmpname()
local loaded, refused, defined = 0, 0, 0
for k = 1, count do
  local text = mutate(texts[(k - 1) % #texts + 1])
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  local ok, spec = pcall(regs.load, path)
  if ok then
    loaded = loaded + 1
    local dok, err = pcall(regs.define, spec)
    if dok then defined = defined + 1
    elseif type(err) ~= "string" or not err:find("regs.define: ", 1, true) then
      error(string.format("mutant %d: regs.define raised %s", k, tostring(err)))
    end
  else
    refused = refused + 1
    if type(spec) ~= "string" or not spec:find("regs.load: ", 1, true) then
      error(string.format("mutant %d: regs.load raised %s", k, tostring(spec)))
    end
    -- A Lua runtime error inside the loader is a bug, not a refusal naming the element.
    if spec:find("attempt to", 1, true) or spec:find("[barlua]/", 1, true) then
      local keep = assert(io.open(path .. ".bad.xml", "wb"))
      keep:write(text)
      keep:close()
      error(string.format("mutant %d (kept in %s.bad.xml): %s", k, path, spec))
    end
  end
end
os.remove(path)
print(string.format("fuzz: %d mutants: %d refused by regs.load, %d loaded (%d defined)", count, refused,
  loaded, defined))
