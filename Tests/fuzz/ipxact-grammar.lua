-- A grammar-aware IP-XACT fuzzer: builds whole components from the schema's structure (memory
-- maps, address blocks, banks, register files nested deep, arrays, registers, fields, resets,
-- parameters that refer to each other; 1685-2022 type definitions: field, register, register-file
-- and address-block definitions in a typeDefinitions document written beside the component and
-- named by VLNV, references to them, to missing ones and to definitions holding themselves;
-- field aliasOf, to fields that exist and that do not; blocks without range or width; fields
-- past their register's size) and fills them with hostile values (expressions with
-- replications, shifts at their edges, huge and negative numbers, scaled integers, long names,
-- long attributes and texts, unknown and cyclic references), then loads each with regs.load and
-- regs.define. Each file must load, or fail with an error of regs ("regs.load: ..." /
-- "regs.define: ..."), never a Lua runtime error from inside the loader, within a budget of CPU
-- seconds and Lua memory per file.
--
--   barlua Tests/fuzz/ipxact-grammar.lua SEED COUNT [SECONDS_PER_FILE [MB_PER_FILE [TOTAL_SECONDS [DIR]]]]
--
-- Deterministic: the same SEED and COUNT give the same files; a run that reaches TOTAL_SECONDS
-- of CPU time (default 90) stops early, after a prefix of them. Prints one summary line and
-- exits 0; on a finding prints it, keeps the file (DIR, default /tmp) and exits 1. Memory that
-- is not Lua's (expat's) is bounded by running this under `prlimit --as`, as
-- Tests/CLITests/IPXACTFuzzTests.swift does, which also bounds the whole run.
local regs = require "barlua.regs"
local ipxact = require "barlua.ipxact"

local seed, count = math.tointeger(tonumber(arg[1])), math.tointeger(tonumber(arg[2]))
assert(seed and count, "usage: barlua Tests/fuzz/ipxact-grammar.lua SEED COUNT [SECONDS [MB [DIR]]]")
local budget_seconds = tonumber(arg[3]) or 10
local budget_kb = (tonumber(arg[4]) or 512) * 1024
local total_seconds = tonumber(arg[5]) or 90
local keep_dir = arg[6] or "/tmp"
math.randomseed(seed)

local R = math.random
local function pick(t) return t[R(1, #t)] end
local function chance(p) return R() < p end
-- How hostile the file being built is (chosen per file): the chance that each value, name or
-- size is a hostile one rather than a sane one, so that files load as well as fail.
local H = 0
local function hostile() return R() < H end

-- MARK: values

local NUMBERS = {"0", "1", "4", "8", "32", "63", "64", "65", "-1", "-4", "'h100", "'hFFFFFFFFFFFFFFFF",
  "'h7FFFFFFFFFFFFFFF", "'h8000000000000000", "'h4000000000000001", "9223372036854775807",
  "9223372036854775808", "99999999999999999999", "2**62", "2**63", "2**64", "2**20", "4'hf", "64'h1",
  "8'sd3", "4'sb1111", "0x10", "1_000", "'d18446744073709551615", "65'h0", "0'h1", "'hxz", "1.5",
  "\"str\"", "true", "false"}
local SCALED = {"0", "4", "4K", "4k", "1M", "1G", "1T", "8191T", "8192T", "16777216T", "#100", "0x1000",
  "0xFFFFFFFFFFFFFFFF", "0x10000000000000000", "-4", "99999999999999999999", "4X", "", " 12 "}
local BINARY = {"+", "-", "*", "/", "%", "**", "<<", ">>", "<<<", ">>>", "<", "<=", ">", ">=", "==", "!=",
  "&", "|", "^", "&&", "||"}

-- An expression of 2014+ over the parameters `ids`, at most `depth` levels deep.
local function expression(ids, depth)
  local k = R(1, depth > 0 and 12 or 3)
  if k == 1 then return pick(NUMBERS)
  elseif k == 2 then return tostring(R(0, 4096))
  elseif k == 3 then return #ids > 0 and pick(ids) or pick({"missing", "p_unknown"})
  elseif k == 4 then return expression(ids, depth - 1) .. " " .. pick(BINARY) .. " " .. expression(ids, depth - 1)
  elseif k == 5 then
    -- Shifts at their edges.
    return pick({"1", "-1", "5", "'hFFFFFFFFFFFFFFFF", "-8"}) .. " " .. pick({"<<", ">>", "<<<", ">>>"}) .. " "
      .. pick({"0", "1", "62", "63", "64", "65", "-1", "-64", "'h8000000000000000", expression(ids, depth - 1)})
  elseif k == 6 then
    -- Replications: zero widths, wrapping counts, nested.
    return "{" .. pick({"0", "1", "4", "16", "17", "'h4000000000000000", "'h1000000000", "-1", expression(ids, 0)})
      .. "{" .. pick({"1'b1", "4'hf", "{0{1'b1}}", "64'h1", "8'h5, 4'h1", "{2{2'b10}}", "7"}) .. "}}"
  elseif k == 7 then
    return "{" .. pick({"4'h1", "{0{1'b1}}", "60'h0"}) .. ", " .. pick({"4'h2", "8'hff", "1'b1"}) .. "}"
  elseif k == 8 then return "(" .. expression(ids, depth - 1) .. ")"
  elseif k == 9 then return pick({"-", "~", "!", "+"}) .. expression(ids, depth - 1)
  elseif k == 10 then return expression(ids, depth - 1) .. " ? " .. expression(ids, depth - 1) .. " : "
      .. expression(ids, depth - 1)
  elseif k == 11 then
    return pick({"$pow(", "$clog2(", "$unknown("}) .. expression(ids, depth - 1)
      .. (chance(0.5) and (", " .. expression(ids, depth - 1)) or "") .. ")"
  else
    -- Deep nesting or a very long expression.
    local n = pick({10, 150, 250, 3000})
    return string.rep("(", n) .. "1" .. string.rep(")", n)
  end
end

local serial = 0
local function name()
  serial = serial + 1
  if not hostile() then return pick({"r", "ctrl", "status", "reserved", "data", "f"}) .. serial end
  local k = R(1, 12)
  if k == 1 then return string.rep("n", pick({100, 1100, 70000})) end
  if k == 2 then return pick({"value", "get", "set", "reserved", "a.b", "x[1]", "&amp;&lt;", "Zähler", " "}) end
  if k == 3 then return "" end
  return pick({"r", "ctrl", "status", "reserved", "data", "f"}) .. (chance(0.5) and tostring(R(0, 9)) or "")
end

-- MARK: structure

local Gen = {}
Gen.__index = Gen

function Gen:p(tag) return self.prefix .. ":" .. tag end

function Gen:el(tag, body, attrs)
  return "<" .. self:p(tag) .. (attrs or "") .. ">" .. body .. "</" .. self:p(tag) .. ">"
end

function Gen:value()
  if not hostile() then
    if self.gen < 2014 then return tostring(R(0, 64) * 4) end
    return pick({tostring(R(0, 64) * 4), "'h" .. string.format("%x", R(0, 64) * 4), "4 * " .. R(0, 16),
      #self.ids > 0 and pick(self.ids) or "8", "{24{1'b0}}", "(1 << 4) >> 2", "2 ** 3"})
  end
  if self.gen >= 2014 then return expression(self.ids, R(0, 3)) end
  return pick(SCALED)
end

-- A value, written as XML text (escaped; some left raw to break the XML now and then).
function Gen:text()
  local v = self:value()
  if hostile() and chance(0.1) then return v end
  return (v:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

function Gen:dims()
  local out = {}
  for _ = 1, R(0, 3) do
    out[#out + 1] = self:el("dim", hostile() and pick({"2**20", "2**40", "-1", self:text()})
      or (self.gen >= 2014 and pick({"1", "2", "0", "3", "2**4"}) or pick({"1", "2", "3", "16"})))
  end
  if self.gen >= 2022 and #out > 0 and chance(0.5) then
    return self:el("array", table.concat(out) .. (chance(0.5) and self:el("stride", self:text()) or ""))
  end
  return table.concat(out)
end

function Gen.access()
  if hostile() then return pick({"no-access", "bogus", ""}) end
  return pick({"read-only", "write-only", "read-write", "writeOnce", "read-writeOnce"})
end

-- 2022: a reference to a definition of the typeDefinitions document (or to none).
function Gen:ref(tag, names)
  return self:el(tag, hostile() and pick({"", "missing", name()}) or pick(names),
    ' typeDefinitions="' .. (hostile() and pick({"nosuch", "", "td"}) or "td") .. '"')
end

-- 2022: an aliasOf naming a field seen before (in this block, or by block name), or none.
function Gen:alias()
  local seen = self.seen[#self.seen > 0 and R(1, #self.seen) or 0] or {block = "b1", reg = "r", field = "f"}
  local parts = {}
  if chance(0.3) then parts[#parts + 1] = '<' .. self:p("addressBlockRef") .. ' ' .. self:p("addressBlockRef")
    .. '="' .. (hostile() and "nosuch" or seen.block) .. '"/>' end
  if hostile() then
    parts[#parts + 1] = '<' .. self:p("registerFileRef") .. ' ' .. self:p("registerFileRef") .. '="' .. name() .. '"/>'
  end
  local idx = chance(0.1) and self:el("indices", self:el("index", self:text())) or ""
  parts[#parts + 1] = self:el("registerRef", idx, ' ' .. self:p("registerRef") .. '="'
    .. (hostile() and name() or seen.reg) .. '"')
  if not (hostile() and chance(0.3)) then
    parts[#parts + 1] = '<' .. self:p("fieldRef") .. ' ' .. self:p("fieldRef") .. '="'
      .. (hostile() and name() or seen.field) .. '"/>'
  end
  return self:el("aliasOf", table.concat(parts))
end

function Gen:field(bits)
  local fname = name()
  local parts = {self:el("name", fname)}
  if chance(0.1) then parts[#parts + 1] = self:el("isPresent", pick({"0", "1", self:text()})) end
  local lsb = R(0, bits - 1)
  parts[#parts + 1] = self:el("bitOffset", hostile() and self:text() or tostring(lsb))
  if self.fields then self.fields[#self.fields + 1] = fname end
  if self.td and chance(0.2) then
    parts[#parts + 1] = self:ref("fieldDefinitionRef", {"fd1", "fd2", "fd3"})
    if not hostile() then return self:el("field", table.concat(parts)) end
  elseif self.gen >= 2022 and chance(0.1) then
    parts[#parts + 1] = self:alias()
    if not hostile() then return self:el("field", table.concat(parts)) end
  end
  -- Now and then a field past the register's size (widened or clipped).
  local width = chance(0.1) and R(1, 2 * bits) or R(1, bits - lsb)
  parts[#parts + 1] = self:el("bitWidth", hostile() and self:text() or tostring(width))
  if chance(0.3) then parts[#parts + 1] = self:el("access", self:access()) end
  if self.gen >= 2014 and chance(0.3) then
    parts[#parts + 1] = self:el("resets", self:el("reset", self:el("value", self:text())))
  end
  if hostile() and chance(0.2) then parts[#parts + 1] = self:dims() end
  return self:el("field", table.concat(parts))
end

function Gen:register()
  local bits = pick({8, 16, 32, 64, 32, 32, 6, 1})
  local rname = name()
  local parts = {self:el("name", rname)}
  if chance(0.1) then parts[#parts + 1] = self:el("isPresent", pick({"0", "1", self:text()})) end
  if chance(0.3) then parts[#parts + 1] = self:dims() end
  self.offset = self.offset + (chance(0.1) and pick({1, 2, 4}) or 64)
  parts[#parts + 1] = self:el("addressOffset", hostile() and self:text() or tostring(self.offset))
  if self.td and chance(0.15) then
    parts[#parts + 1] = self:ref("registerDefinitionRef", {"rd1", "rd2"})
    if not hostile() then return self:el("register", table.concat(parts)) end
  end
  parts[#parts + 1] = self:el("size", hostile() and self:text() or tostring(bits))
  if chance(0.3) then parts[#parts + 1] = self:el("access", self:access()) end
  if chance(0.2) then
    parts[#parts + 1] = self:el("description", string.rep("d", hostile() and pick({70000, 2000000}) or 40))
  end
  local nfields = hostile() and pick({70, 5000}) or math.min(bits, pick({0, 0, 1, 1, 2}))
  local f = {}
  local outer = self.fields
  self.fields = {}
  for i = 1, nfields do
    f[i] = (nfields > 8 and chance(0.9)) and self:el("field", self:el("name", "reserved")
      .. self:el("bitOffset", tostring((i - 1) % bits)) .. self:el("bitWidth", "1")) or self:field(bits)
  end
  for _, fname in ipairs(self.fields) do
    self.seen[#self.seen + 1] = {block = self.block_name, reg = rname, field = fname}
  end
  self.fields = outer
  parts[#parts + 1] = table.concat(f)
  if self.gen < 2014 and chance(0.3) and nfields == 0 then
    parts[#parts + 1] = self:el("reset", self:el("value", self:text())
      .. (chance(0.5) and self:el("mask", self:text()) or ""))
  end
  if chance(0.05) then
    parts[#parts + 1] = '<v:ext xmlns:v="urn:v" v:a="' .. string.rep("x", hostile() and 3000000 or 10) .. '"/>'
  end
  return self:el("register", table.concat(parts), hostile() and chance(0.05) and (' ' .. self:p("id") .. '="'
    .. string.rep("a", pick({100, 2000000})) .. '"') or nil)
end

function Gen:register_file(depth)
  local parts = {self:el("name", name())}
  if chance(0.4) then parts[#parts + 1] = self:dims() end
  self.offset = self.offset + 4096
  parts[#parts + 1] = self:el("addressOffset", hostile() and self:text() or tostring(self.offset))
  if self.td and chance(0.15) then
    parts[#parts + 1] = self:ref("registerFileDefinitionRef", {"rfd1"})
    if not hostile() then return self:el("registerFile", table.concat(parts)) end
  end
  parts[#parts + 1] = self:el("range", hostile() and self:text() or "1048576")
  parts[#parts + 1] = self:contents(depth + 1)
  return self:el("registerFile", table.concat(parts))
end

function Gen:contents(depth)
  if self.budget <= 0 then return "" end
  local out = {}
  for _ = 1, R(0, depth > 3 and 2 or 4) do
    self.budget = self.budget - 1
    if depth < self.max_depth and chance(depth < 3 and 0.35 or 0.9 ^ depth) then
      out[#out + 1] = self:register_file(depth)
    else
      out[#out + 1] = self:register()
    end
  end
  return table.concat(out)
end

-- A chain or a cycle of nested register files `n` deep (the depth limit's side).
function Gen:deep(n)
  local head = self:el("name", "f") .. self:el("addressOffset", "0") .. self:el("range", "4")
  return string.rep("<" .. self:p("registerFile") .. ">" .. head, n) .. self:register()
    .. string.rep("</" .. self:p("registerFile") .. ">", n)
end

-- One hostile feature in an otherwise sane file (a file full of hostile values fails at its
-- first one, so the deep defects need a sane file around a single one). Each kind is a defect
-- class of issue #22; the values vary.
local PAYLOADS = {
  function(g) -- an expression at its edges as an offset (replications, shifts, huge numbers)
    return g:sane_register(g.gen >= 2014 and expression(g.ids, R(1, 3)) or pick(SCALED))
  end,
  function(g) -- replications of zero width or a wrapping count
    if g.gen < 2014 then return g:sane_register(pick({"16777216T", "8192T", "0x10000000000000000"})) end
    return g:sane_register("{" .. pick({"'h1000000000", "'h4000000000000000", "'h2000000000000000", "2**62"})
      .. "{" .. pick({"{0{1'b1}}", "4'hf", "{{0{1'b1}}}", "8'h1"}) .. "}}")
  end,
  function(g) -- nested arrays of empty or absent register files
    local inner = chance(0.5) and "" or (g:el("register", g:el("name", "gone") .. g:el("isPresent", "0")
      .. g:el("addressOffset", "0") .. g:el("size", "32")))
    local dim = g.gen >= 2014 and pick({"2**18", "2**17", "2**16"}) or pick({"262144", "65536"})
    return g:el("registerFile", g:el("name", "outer") .. g:el("dim", dim) .. g:el("addressOffset", "0")
      .. g:el("range", "4") .. g:el("registerFile", g:el("name", "inner") .. g:el("dim", dim)
      .. g:el("addressOffset", "0") .. g:el("range", "4") .. inner))
  end,
  function(g) -- many fields of one name
    local f = {}
    for i = 1, pick({64, 2000, 25000}) do
      f[i] = g:el("field", g:el("name", "reserved") .. g:el("bitOffset", tostring((i - 1) % 32))
        .. g:el("bitWidth", "1"))
    end
    return g:el("register", g:el("name", "many") .. g:el("addressOffset", "0") .. g:el("size", "32")
      .. table.concat(f))
  end,
  function(g) -- nesting deep
    return g:deep(pick({255, 2000, 20000}))
  end,
  function(g) -- offsets that pass 2^63 with address units of several bytes, or by an array
    g.aub = pick({"16", "32", "64"})
    return g:sane_register(g.gen >= 2014 and pick({"'h4000000000000001", "'h2000000000000000", "'h7ffffffffffffff0"})
      or pick({"0x4000000000000001", "4194304T"}), g:el("dim", pick({"1", "8", "64"})))
  end,
  function(g) -- one long attribute, on an IP-XACT or a vendor element
    local blob = string.rep("a", pick({100000, 3000000}))
    if chance(0.5) then return g:sane_register("0", '<v:x xmlns:v="urn:v" v:b="' .. blob .. '"/>') end
    return (g:sane_register("0"):gsub("^<" .. g.prefix .. ":register>", function()
      return "<" .. g.prefix .. ":register " .. g.prefix .. ':id="' .. blob .. '">'
    end))
  end,
  function(g) -- a parameter chain (2014+)
    if g.gen < 2014 then return g:sane_register("0") end
    local n = pick({30, 200, 1000})
    for i = 1, n do
      g.extra_params[#g.extra_params + 1] = g:el("parameter", g:el("name", "q" .. i)
        .. g:el("value", i == 1 and "4" or ("q" .. (i - 1) .. " + 4")), ' parameterId="q' .. i .. '"')
    end
    return g:sane_register("q" .. n)
  end,
}

-- A register with sane values and this offset text (and `extra` inside).
function Gen:sane_register(offset, extra)
  return self:el("register", self:el("name", "payload") .. (extra and extra:find("<[%w]*:?dim") and extra or "")
    .. self:el("addressOffset", (offset:gsub("&", "&amp;"):gsub("<", "&lt;"))) .. self:el("size", "32")
    .. (extra and not extra:find("<[%w]*:?dim") and extra or ""))
end

function Gen:block(i)
  self.offset = 0
  self.block_name = "b" .. i
  local parts = {self:el("name", "b" .. i),
    self:el("baseAddress", hostile() and self:text() or string.format("%d", i << 32))}
  if self.td and chance(0.2) then
    parts[#parts + 1] = self:ref("addressBlockDefinitionRef", {"abd1"})
    return self:el("addressBlock", table.concat(parts))
  end
  -- Real files leave out range or width now and then: derived from the registers.
  if chance(0.85) then
    parts[#parts + 1] = self:el("range", hostile() and self:text() or string.format("%d", 1 << 32))
  end
  if chance(0.85) then parts[#parts + 1] = self:el("width", pick({"32", "32", "64", "16"})) end
  if hostile() and chance(0.2) then parts[#parts + 1] = self:dims() end
  if hostile() and chance(0.2) then parts[#parts + 1] = self:deep(pick({50, 255, 300, 3000})) end
  if self.payload then
    parts[#parts + 1] = self.payload(self)
    self.payload = nil
  end
  parts[#parts + 1] = self:contents(0)
  return self:el("addressBlock", table.concat(parts))
end

function Gen:bank(depth)
  local items = {}
  for i = 1, R(1, 3) do
    items[#items + 1] = (depth < 3 and chance(0.3)) and self:bank(depth + 1) or self:block(100 + i + depth * 10)
  end
  return self:el("bank", self:el("name", "bank" .. depth) .. self:el("baseAddress", self:text()) .. table.concat(items),
    ' bankAlignment="' .. (hostile() and "diagonal" or pick({"serial", "parallel"})) .. '"')
end

function Gen:parameters()
  local out = {}
  local n = hostile() and pick({80, 250}) or pick({0, 2, 5})
  for i = 1, n do
    local id = "p" .. i
    -- Values refer to earlier ones (chains), to later ones (cycles), or to none.
    local value
    if hostile() then
      -- Values refer to later ones (cycles), or are hostile expressions.
      value = chance(0.5) and ("p" .. R(1, n)) or expression(self.ids, 2)
    else
      value = chance(0.5) and ("p" .. (i - 1) .. " + 1") or tostring(R(0, 16))
    end
    if i == 1 then value = "4" end
    out[#out + 1] = self:el("parameter", self:el("name", id) .. self:el("value", (value:gsub("&", "&amp;")
      :gsub("<", "&lt;"))), ' parameterId="' .. id .. '"')
    self.ids[#self.ids + 1] = id
  end
  return self:el("parameters", table.concat(out))
end

local SCHEMAS = {
  {gen = 2009, prefix = "spirit", ns = "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1685-2009"},
  {gen = 1.5, prefix = "spirit", ns = "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1.5"},
  {gen = 2014, prefix = "ipxact", ns = "http://www.accellera.org/XMLSchema/IPXACT/1685-2014"},
  {gen = 2022, prefix = "ipxact", ns = "http://www.accellera.org/XMLSchema/IPXACT/1685-2022"},
}

-- The typeDefinitions document (2022) the component names by VLNV: the definitions its
-- references name (fd1..fd3, rd1, rd2, rfd1, abd1), some missing or hostile, some holding
-- references again (to themselves too), its own parameters, and now and then a wrong VLNV.
function Gen:types()
  local function def(tag, dname, body)
    if hostile() and chance(0.3) then return "" end
    return self:el(tag, self:el("name", dname) .. body)
  end
  local fds, rds = {}, {}
  for i = 1, 3 do
    fds[i] = def("fieldDefinition", "fd" .. i, self:el("bitWidth", hostile() and self:text() or tostring(R(1, 12)))
      .. (chance(0.5) and self:el("resets", self:el("reset", self:el("value", self:text()))) or "")
      .. (chance(0.5) and self:el("fieldAccessPolicies", self:el("fieldAccessPolicy", self:el("access", self:access())))
        or ""))
  end
  for i = 1, 2 do
    local bits = pick({8, 16, 32, 64})
    local f = {}
    for k = 1, R(0, 3) do f[k] = self:field(bits) end
    rds[i] = def("registerDefinition", "rd" .. i, self:el("size", hostile() and self:text() or tostring(bits))
      .. table.concat(f))
  end
  local saved = self.offset
  self.offset = 0
  local rfd = def("registerFileDefinition", "rfd1", self:el("range", "4096") .. self:contents(2))
  self.offset = 0
  local abd = def("addressBlockDefinition", "abd1", (chance(0.8) and self:el("range", "65536") or "")
    .. (chance(0.8) and self:el("width", "32") or "") .. self:contents(1))
  self.offset = saved
  local own = chance(0.3) and self:el("externalTypeDefinitions", self:el("name", "td")
    .. '<' .. self:p("typeDefinitionsRef") .. ' vendor="fuzz" library="lib" name="types" version="1.0"/>') or ""
  return table.concat{'<?xml version="1.0"?>\n<', self.prefix, ':typeDefinitions xmlns:', self.prefix, '="',
    self.ns, '">', self:el("vendor", "fuzz"), self:el("library", "lib"), self:el("name", "types"),
    self:el("version", hostile() and "2.0" or "1.0"), own,
    self:el("fieldDefinitions", table.concat(fds)), self:el("registerDefinitions", table.concat(rds)),
    self:el("registerFileDefinitions", rfd), self:el("addressBlockDefinitions", abd),
    self:el("parameters", self:el("parameter", self:el("name", "tp") .. self:el("value", "8"), ' parameterId="tp"')),
    "</", self.prefix, ":typeDefinitions>\n"}
end

local function component()
  H = pick({0, 0, 0.01, 0.05, 0.2, 0.6})
  local s = pick(SCHEMAS)
  local g = setmetatable({gen = s.gen, prefix = s.prefix, ns = s.ns, ids = {}, budget = pick({5, 20, 60}), offset = 0,
    extra_params = {}, payload = H == 0 and chance(0.6) and pick(PAYLOADS) or nil,
    max_depth = pick({2, 4, 8}), seen = {}, td = s.gen >= 2022 and chance(0.5)}, Gen)
  -- Parameters first, so expressions can name them (they are placed after the maps).
  local params = s.gen >= 2014 and g:parameters() or ""
  local items = {}
  for i = 1, R(1, 3) do items[#items + 1] = (s.gen ~= 1.4 and chance(0.15)) and g:bank(0) or g:block(i) end
  local aub = g.aub or (chance(0.2) and (hostile() and pick({"7", "0", "128", g:text()})
    or pick({"8", "16", "32", "64"})))
  local map = g:el("memoryMap", g:el("name", "m") .. table.concat(items)
    .. (aub and g:el("addressUnitBits", aub) or ""))
  if #g.extra_params > 0 then
    params = g:el("parameters", table.concat(g.extra_params)) .. params
  end
  local typedefs, types = "", nil
  if g.td then
    typedefs = g:el("typeDefinitions", g:el("externalTypeDefinitions", g:el("name", "td")
      .. '<' .. g:p("typeDefinitionsRef") .. ' vendor="fuzz" library="lib" name="types" version="1.0"/>'))
    -- Now and then the document is not there (the error names the VLNV and the folder).
    if not (hostile() and chance(0.3)) then types = g:types() end
  end
  return table.concat{'<?xml version="1.0"?>\n<', s.prefix, ':component xmlns:', s.prefix, '="', s.ns, '">',
    g:el("name", "c"), typedefs, g:el("memoryMaps", map), params, "</", s.prefix, ":component>\n"}, types
end

-- MARK: run

-- The component and its typeDefinitions document share a folder (DIR): the loader looks for the
-- document there, by VLNV.
local path = string.format("%s/ipxact-fuzz-%d-component.xml", keep_dir, seed)
local types_path = string.format("%s/ipxact-fuzz-%d-types.xml", keep_dir, seed)
local loaded, defined, refused, slowest, peak = 0, 0, 0, 0, 0
local findings = {}
local done = 0

local function finding(k, text, types, why)
  local keep = string.format("%s/ipxact-fuzz-%d-%d.xml", keep_dir, seed, k)
  local f = io.open(keep, "wb")
  if f then f:write(text) f:close() end
  if types then
    f = io.open(keep .. ".types", "wb")
    if f then f:write(types) f:close() end
  end
  findings[#findings + 1] = string.format("file %d (kept in %s%s): %s", k, keep, types and ", and .types" or "", why)
end

for k = 1, count do
  if os.clock() > total_seconds then break end
  done = k
  local text, types = component()
  local f = assert(io.open(path, "wb"))
  assert(f:write(text))
  assert(f:close())
  os.remove(types_path)
  if types then
    f = assert(io.open(types_path, "wb"))
    assert(f:write(types))
    assert(f:close())
  end
  collectgarbage()
  local base_kb = collectgarbage("count")
  local t0 = os.clock()
  local over
  -- The budget, checked every 10,000 instructions: an endless loop or a blow-up in Lua stops
  -- here with a finding instead of hanging the run.
  debug.sethook(function()
    local kb = collectgarbage("count") - base_kb
    if kb > peak then peak = kb end
    if os.clock() - t0 > budget_seconds then over = over or string.format("more than %g CPU seconds", budget_seconds)
    elseif kb > budget_kb then over = over or string.format("more than %d MB of Lua memory", budget_kb // 1024) end
    if over then error("fuzz budget: " .. over, 0) end
  end, "", 10000)
  local ok, spec = pcall(regs.load, path)
  local dok, derr
  if ok then dok, derr = pcall(regs.define, spec) end
  debug.sethook()
  local seconds = os.clock() - t0
  if seconds > slowest then slowest = seconds end
  if over then
    finding(k, text, types, over)
  elseif seconds > budget_seconds then
    finding(k, text, types, string.format("%.2f CPU seconds (in C, between checks)", seconds))
  elseif ok then
    loaded = loaded + 1
    if dok then defined = defined + 1
    elseif type(derr) ~= "string" or not derr:find("^regs%.define: ") then
      finding(k, text, types, "regs.define raised " .. tostring(derr))
    end
  else
    refused = refused + 1
    if os.getenv("IPXACT_FUZZ_VERBOSE") then
      print((tostring(spec):gsub("^regs%.load: [^:]*:%d*:? ?", ""):sub(1, 160)))
    end
    if type(spec) ~= "string" or not spec:find("^regs%.load: ") then
      finding(k, text, types, "regs.load raised " .. tostring(spec))
    elseif spec:find("attempt to", 1, true) or spec:find("[barlua]/", 1, true) or spec:find("stack overflow", 1, true)
      or spec:find("not enough memory", 1, true) then
      finding(k, text, types, "a Lua runtime error from inside the loader: " .. spec:sub(1, 400))
    end
  end
  if #findings >= 5 then break end
end
os.remove(path)
os.remove(types_path)
if #findings > 0 then
  print(string.format("ipxact fuzz (seed %d): %d finding(s)", seed, #findings))
  for _, line in ipairs(findings) do print(line) end
  os.exit(1)
end
print(string.format("ipxact fuzz (seed %d): %d files of %d: %d refused by regs.load, %d loaded (%d defined); "
  .. "slowest %.2f CPU s, peak %.0f MB of Lua memory (budgets %g s, %d MB); limits %d elements, depth %d", seed,
  done, count, refused, loaded, defined, slowest, peak / 1024, budget_seconds, budget_kb // 1024,
  ipxact.MAX_ELEMENTS, ipxact.MAX_DEPTH))
