-- barlua Tests/tools/ipxact_hostile.lua CASE DIR: writes the hostile IP-XACT file of CASE (one
-- of the defects of issue #22) into DIR, loads it with regs.load (then regs.define) and prints
-- "loaded N registers" or "error: MESSAGE". `barlua Tests/tools/ipxact_hostile.lua list` prints
-- the case names. The caller (Tests/CLITests/HostileDesignFileTests.swift) runs each case in
-- its own process under a time and memory limit, so a hang or a blow-up is seen as such.
local M = {}

local NS2014 = "http://www.accellera.org/XMLSchema/IPXACT/1685-2014"
local NS2009 = "http://www.accellera.org/XMLSchema/SPIRIT/1685-2009"
local NS2022 = "http://www.accellera.org/XMLSchema/IPXACT/1685-2022"

-- A component with one memory map and one address block holding `body`; `aub` the map's
-- addressUnitBits; `params` extra <ipxact:parameter> elements; `after` elements of the
-- component after its parameters.
local function component(body, opts)
  opts = opts or {}
  local p = opts.prefix or "ipxact"
  return table.concat{
    '<?xml version="1.0"?>\n',
    '<', p, ':component xmlns:', p, '="', opts.ns or NS2014, '">\n',
    '<', p, ':name>c</', p, ':name>\n',
    '<', p, ':memoryMaps><', p, ':memoryMap><', p, ':name>m</', p, ':name>\n',
    '<', p, ':addressBlock><', p, ':name>b</', p, ':name><', p, ':baseAddress>0</', p, ':baseAddress>',
    '<', p, ':range>', opts.range or "'h1000", '</', p, ':range><', p, ':width>32</', p, ':width>\n',
    body, '\n',
    '</', p, ':addressBlock>\n',
    opts.aub and ('<' .. p .. ':addressUnitBits>' .. opts.aub .. '</' .. p .. ':addressUnitBits>\n') or '',
    '</', p, ':memoryMap></', p, ':memoryMaps>\n',
    '<', p, ':parameters>', opts.params or '', '</', p, ':parameters>\n',
    opts.after or '',
    '</', p, ':component>\n'}
end

local function reg(name, offset, rest, size, p)
  p = p or "ipxact"
  return string.format("<%s:register><%s:name>%s</%s:name><%s:addressOffset>%s</%s:addressOffset>"
    .. "<%s:size>%s</%s:size>%s</%s:register>", p, p, name, p, p, offset, p, p, size or "32", p, rest or "", p)
end

local function field(name, bit, width)
  return string.format("<ipxact:field><ipxact:name>%s</ipxact:name><ipxact:bitOffset>%d</ipxact:bitOffset>"
    .. "<ipxact:bitWidth>%d</ipxact:bitWidth></ipxact:field>", name, bit, width or 1)
end

local function param(id, value)
  return string.format('<ipxact:parameter parameterId="%s"><ipxact:name>%s</ipxact:name>'
    .. '<ipxact:value>%s</ipxact:value></ipxact:parameter>\n', id, id, value)
end

-- Each case: the file's text.
M.cases = {
  -- #22.3: {N{x}} of a zero-width operand ran 2^36 times.
  replication_zero_width = function()
    return component(reg("r", "{'h1000000000{{0{1'b1}}}}"))
  end,
  -- #22.3: count * width wraps to 0 (2^62 * 4 = 2^64).
  replication_wraps = function()
    return component(reg("r", "{'h4000000000000000{4'hf}}"))
  end,
  -- #22.4: two nested register-file arrays of 2^18 elements with no registers: 2^36 steps.
  empty_register_file_arrays = function()
    return component(reg("r", "0") .. [[
<ipxact:registerFile><ipxact:name>outer</ipxact:name><ipxact:dim>2**18</ipxact:dim>
  <ipxact:addressOffset>'h100</ipxact:addressOffset><ipxact:range>4</ipxact:range>
  <ipxact:registerFile><ipxact:name>inner</ipxact:name><ipxact:dim>2**18</ipxact:dim>
    <ipxact:addressOffset>0</ipxact:addressOffset><ipxact:range>4</ipxact:range>
  </ipxact:registerFile>
</ipxact:registerFile>]])
  end,
  -- #22.4: the same with a register that is not present (isPresent 0) in the inner one: every
  -- element is looked at, and the number looked at is bounded.
  absent_register_arrays = function()
    return component(reg("r", "0") .. [[
<ipxact:registerFile><ipxact:name>outer</ipxact:name><ipxact:dim>2**18</ipxact:dim>
  <ipxact:addressOffset>'h100</ipxact:addressOffset><ipxact:range>4</ipxact:range>
  <ipxact:registerFile><ipxact:name>inner</ipxact:name><ipxact:dim>2**18</ipxact:dim>
    <ipxact:addressOffset>0</ipxact:addressOffset><ipxact:range>4</ipxact:range>
    <ipxact:register><ipxact:name>gone</ipxact:name><ipxact:isPresent>0</ipxact:isPresent>
      <ipxact:addressOffset>0</ipxact:addressOffset><ipxact:size>32</ipxact:size></ipxact:register>
  </ipxact:registerFile>
</ipxact:registerFile>]])
  end,
  -- #22.5: 25,000 fields named "reserved" in a 32-bit register (renamed in quadratic time).
  repeated_field_names = function()
    local f = {}
    for i = 1, 25000 do f[i] = field("reserved", (i - 1) % 32) end
    return component(reg("r", "0", table.concat(f)))
  end,
  -- #22.5, the good side: 64 one-bit "reserved" fields of a 64-bit register all load.
  many_reserved_fields = function()
    local f = {}
    for i = 1, 64 do f[i] = field("reserved", i - 1) end
    return component(reg("r", "0", table.concat(f), "64"))
  end,
  -- #22.6: one 48 MB attribute (expat rescanned it on every 64 KiB chunk: 20 s).
  huge_attribute = function()
    return component((reg("r", "0"):gsub("^<ipxact:register>",
      '<ipxact:register ipxact:id="' .. string.rep("a", 48 << 20) .. '">')))
  end,
  -- #22.6: the same attribute on a vendor element (another namespace): not needed, not kept.
  huge_vendor_attribute = function()
    return component(reg("r", "0", '<v:x xmlns:v="urn:vendor" v:blob="' .. string.rep("a", 48 << 20) .. '"/>'))
  end,
  -- #22.7: 20,000 nested register files (858 MB before); 40,000 ended in "stack overflow".
  deep_register_files = function()
    local n = 20000
    local open = string.rep("<ipxact:registerFile><ipxact:name>f</ipxact:name><ipxact:addressOffset>0"
      .. "</ipxact:addressOffset><ipxact:range>4</ipxact:range>", n)
    return component(open .. reg("r", "0") .. string.rep("</ipxact:registerFile>", n))
  end,
  -- #22.8: 'h4000000000000001 address units of 32 bits: byte 2^64 + 4 (loaded at 0x4).
  offset_wraps = function()
    return component(reg("r", "'h4000000000000001"), {aub = 32})
  end,
  -- #22.8: a 2009 scaled integer 16777216T = 2^64 (loaded at 0).
  scaled_offset_wraps = function()
    return component(reg("r", "16777216T", nil, nil, "spirit"), {ns = NS2009, prefix = "spirit", range = "4096"})
  end,
  -- #22.8: the last element of a register array passes 2^63.
  array_offset_wraps = function()
    return component(reg("r", "'h7ffffffffffffff0", "<ipxact:dim>8</ipxact:dim>"))
  end,
  -- #22.9: 1 >>> -1 raised "attempt to divide by zero" inside the loader.
  shift_by_negative = function()
    return component(reg("r", "(1 >>> -1) + 4"))
  end,
  -- #22 also: a 200-deep parameter chain ended in a C stack overflow, its cause cut off.
  parameter_chain = function()
    local ps = {param("p0", "4")}
    for i = 1, 200 do ps[#ps + 1] = param("p" .. i, "p" .. (i - 1) .. " + 4") end
    return component(reg("r", "p200"), {params = table.concat(ps)})
  end,
  -- 40,000 nested register files ended in a raw "stack overflow".
  deeper_register_files = function()
    local n = 40000
    local open = string.rep("<ipxact:registerFile><ipxact:name>f</ipxact:name><ipxact:addressOffset>0"
      .. "</ipxact:addressOffset><ipxact:range>4</ipxact:range>", n)
    return component(open .. reg("r", "0") .. string.rep("</ipxact:registerFile>", n))
  end,
  -- A register name longer than regs.define takes.
  long_name = function()
    return component(reg(string.rep("n", 2000), "0"))
  end,
  -- The limits can be lowered (what the tests of the file-size and element limits use).
  file_size_limit = function()
    return component(reg("r", "0")), {MAX_FILE_BYTES = 512}
  end,
  element_limit = function()
    return component(reg("r", "0") .. reg("s", "4")), {MAX_ELEMENTS = 12}
  end,
  text_limit = function()
    return component(reg("r", "0", "<ipxact:description>" .. string.rep("d", 100) .. "</ipxact:description>")),
      {MAX_TEXT_BYTES = 64}
  end,
  -- Work that grew with an element's placements times its kids, or with the square of a
  -- register file's registers (issue #25's fuzzer found the first: 9 s for a 3.8 MB file).
  -- A register refused (more fields than bits) inside an array of register files was read
  -- again, all its 50,000 fields listed, at each of the 4,096 placements.
  refused_register_in_arrays = function()
    local f = {}
    for i = 1, 50000 do f[i] = field("f" .. i, 0) end
    return component(reg("r", "0") .. "<ipxact:registerFile><ipxact:name>a</ipxact:name><ipxact:dim>4096</ipxact:dim>"
      .. "<ipxact:addressOffset>'h100</ipxact:addressOffset><ipxact:range>4</ipxact:range>"
      .. reg("bad", "0", table.concat(f), "8") .. "</ipxact:registerFile>")
  end,
  -- 2,000 absent registers in an array of 16,384 register files: 33 million visits that lay
  -- nothing out; now they count towards the limit of elements visited.
  absent_members_in_arrays = function()
    local r = {}
    for i = 1, 2000 do
      r[i] = "<ipxact:register><ipxact:name>g" .. i .. "</ipxact:name><ipxact:isPresent>0</ipxact:isPresent>"
        .. "<ipxact:addressOffset>0</ipxact:addressOffset><ipxact:size>32</ipxact:size></ipxact:register>"
    end
    return component(reg("r", "0") .. "<ipxact:registerFile><ipxact:name>a</ipxact:name><ipxact:dim>2**14</ipxact:dim>"
      .. "<ipxact:addressOffset>'h100</ipxact:addressOffset><ipxact:range>4</ipxact:range>" .. table.concat(r)
      .. "</ipxact:registerFile>")
  end,
  -- 20,000 registers widened (fields past their size): each looked at every sibling's offset.
  widened_neighbours = function()
    local r = {}
    for i = 0, 19999 do r[#r + 1] = reg("r" .. i, tostring(i * 4), field("f", 0, 8), "6") end
    return component(table.concat(r), {range = "'h20000"})
  end,
  -- 20,000 fields aliasOf a field of their own register (2022): each searched the block's
  -- registers by name.
  many_aliases = function()
    local r = {}
    for i = 0, 19999 do
      r[#r + 1] = reg("r" .. i, tostring(i * 4), field("f", 0, 1)
        .. "<ipxact:field><ipxact:name>a</ipxact:name><ipxact:bitOffset>1</ipxact:bitOffset><ipxact:aliasOf>"
        .. '<ipxact:registerRef registerRef="r' .. i .. '"/><ipxact:fieldRef fieldRef="f"/></ipxact:aliasOf>'
        .. "</ipxact:field>")
    end
    return component(table.concat(r), {ns = NS2022, range = "'h20000"})
  end,
  -- 20,000 registers each an instance of its own of 20,000 register definitions (2022; in the
  -- component itself, which the loader reads with a warning): each searched the definitions.
  many_definitions = function()
    local r, d = {}, {}
    for i = 0, 19999 do
      r[#r + 1] = "<ipxact:register><ipxact:name>r" .. i .. "</ipxact:name><ipxact:addressOffset>" .. i * 4
        .. '</ipxact:addressOffset><ipxact:registerDefinitionRef typeDefinitions="local">d' .. i
        .. "</ipxact:registerDefinitionRef></ipxact:register>"
      d[#d + 1] = "<ipxact:registerDefinition><ipxact:name>d" .. i .. "</ipxact:name><ipxact:size>32</ipxact:size>"
        .. "</ipxact:registerDefinition>"
    end
    return component(table.concat(r), {ns = NS2022, range = "'h20000",
      after = "<ipxact:registerDefinitions>" .. table.concat(d) .. "</ipxact:registerDefinitions>\n"})
  end,
  -- A chain of 30 parameters is fine.
  short_parameter_chain = function()
    local ps = {param("p0", "4")}
    for i = 1, 30 do ps[#ps + 1] = param("p" .. i, "p" .. (i - 1) .. " + 4") end
    return component(reg("r", "p30"), {params = table.concat(ps)})
  end,
}

local case, dir = ...
if case == "list" then
  local names = {}
  for k in pairs(M.cases) do names[#names + 1] = k end
  table.sort(names)
  print(table.concat(names, "\n"))
  return
end
local make = assert(M.cases[case], "no case " .. tostring(case))
local path = dir .. "/" .. case .. ".xml"
local text, limits = make()
local f = assert(io.open(path, "wb"))
assert(f:write(text))
assert(f:close())
text = nil  -- luacheck: ignore 311 (collected before the load)
for k, v in pairs(limits or {}) do require("barlua.ipxact")[k] = v end
collectgarbage()
local regs = require "barlua.regs"
local t0 = os.clock()
local ok, spec = pcall(regs.load, path)
local seconds = os.clock() - t0
os.remove(path)
if not ok then
  print("error: " .. tostring(spec))
else
  local dok, err = pcall(regs.define, spec)
  print(string.format("loaded %d registers, the first '%s' at 0x%x%s", #spec.registers, spec.registers[1].name,
    spec.registers[1].offset, dok and "" or ("; " .. tostring(err))))
end
io.stderr:write(string.format("seconds %.3f\n", seconds))
