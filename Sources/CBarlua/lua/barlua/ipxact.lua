-- barlua.ipxact: an IP-XACT component file -> the definition table regs.define takes.
--
--   local spec = require("barlua.ipxact").load("uart.xml", {map = "APB", block = "regs"})
--
-- The XML is read by Debian's lua-expat (`lxp`, the binding of libexpat), with namespace
-- processing on, so each schema generation is recognised by its namespace URI, whatever
-- prefix the file uses. Every register of the chosen memory map comes out at its byte offset
-- from the memory map's start; see docs/registers.md for the
-- rules (arrays, banks, register files, widths, access, resets) and what is not loaded.
-- Errors are strings "FILE:LINE: <element> 'name': what is wrong" (no Lua position).
local expr = require "barlua.ipxact_expr"

local M = {}

-- Namespace URI -> schema generation (number used for the rules that differ).
M.NAMESPACES = {
  ["http://www.spiritconsortium.org/XMLSchema/SPIRIT/1.4"] = 1.4,
  ["http://www.spiritconsortium.org/XMLSchema/SPIRIT/1.5"] = 1.5,
  ["http://www.spiritconsortium.org/XMLSchema/SPIRIT/1685-2009"] = 2009,
  ["http://www.accellera.org/XMLSchema/SPIRIT/1685-2009"] = 2009,
  ["http://www.accellera.org/XMLSchema/IPXACT/1685-2014"] = 2014,
  ["http://www.accellera.org/XMLSchema/IPXACT/1685-2022"] = 2022,
}

-- IP-XACT access -> barlua access. The original is kept in the register's/field's `origin`.
M.ACCESS = {
  ["read-only"] = "ro", ["write-only"] = "wo", ["writeOnce"] = "wo",
  ["read-write"] = "rw", ["read-writeOnce"] = "rw",
  -- 2022 adds "no-access": nothing can be read or written; refused below.
}

-- Names regs gives a register view itself; a field with one of them is loaded as NAME_.
local RESERVED_FIELD = {value = true, get = true, set = true}

-- A tree of {tag =, line =, kids = {...}, text =, attr = {...}} in the IP-XACT namespace only
-- (vendor extensions and other namespaces are kept as opaque nodes with tag = nil).
local function parse(path)
  local ok_lxp, lxp = pcall(require, "lxp")
  if not ok_lxp then
    error("IP-XACT needs Debian's lua-expat (apt-get install lua-expat): " .. tostring(lxp), 0)
  end
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local root
  local stack, texts = {}, {}
  local ns
  local parser
  local callbacks = {
    StartElement = function(p, name, attrs)
      local uri, tag = name:match("^(.-)\1(.*)$")
      if not uri then uri, tag = "", name end
      local line = p:pos()
      if not root then
        ns = uri
        local gen = M.NAMESPACES[uri]
        if not gen then
          error(string.format("%s:%d: <%s>: unknown namespace '%s' (not an IP-XACT schema: SPIRIT 1.4/1.5, "
            .. "IEEE 1685-2009, 1685-2014 or 1685-2022)", path, line, tag, uri), 0)
        end
      end
      local a = {}
      for k, v in pairs(attrs) do
        if type(k) == "string" then a[(k:match("\1(.*)$") or k)] = v end
      end
      local node = {tag = uri == ns and tag or nil, line = line, kids = {}, attr = a}
      local parent = stack[#stack]
      if parent then parent.kids[#parent.kids + 1] = node else root = node end
      stack[#stack + 1] = node
      texts[#stack] = {}
    end,
    EndElement = function()
      local node = stack[#stack]
      local t = texts[#stack]
      if #t > 0 then node.text = table.concat(t) end
      texts[#stack] = nil
      stack[#stack] = nil
    end,
    CharacterData = function(_, s)
      local t = texts[#stack]
      if t then t[#t + 1] = s end
    end,
  }
  parser = lxp.new(callbacks, "\1")
  local ok, perr = pcall(function()
    while true do
      local chunk = f:read(1 << 16)
      if not chunk then break end
      local r, msg, line = parser:parse(chunk)
      if not r then error(string.format("%s:%s: XML error: %s", path, tostring(line), msg), 0) end
    end
    local r, msg, line = parser:parse()
    if not r then error(string.format("%s:%s: XML error: %s", path, tostring(line), msg), 0) end
  end)
  pcall(parser.close, parser)  -- after a parse error close() raises again; the first error wins
  f:close()
  if not ok then error(perr, 0) end
  if not root then error(path .. ": empty document", 0) end
  return root, M.NAMESPACES[ns]
end

local function kids(node, tag)
  local out = {}
  for _, k in ipairs(node.kids) do if k.tag == tag then out[#out + 1] = k end end
  return out
end

local function kid(node, tag)
  for _, k in ipairs(node.kids) do if k.tag == tag then return k end end
end

local function trim(s) return s and (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- The loading context: file, generation, parameters by id.
local Ctx = {}
Ctx.__index = Ctx

-- What the file has that is deliberately not loaded, said in the result's `skipped` list (and by
-- scripts/regs.lua) rather than left out silently.
function Ctx:skip(node, what, why)
  self.skipped[#self.skipped + 1] = string.format("%s:%d: <%s>%s: %s", self.path, node.line, node.tag,
    what and (" '" .. what .. "'") or "", why)
end

function Ctx:fail(node, what, fmt, ...)
  error(string.format("%s:%d: <%s>%s: " .. fmt, self.path, node.line, node.tag or "?",
    what and (" '" .. what .. "'") or "", ...), 0)
end

-- Parameters by id (the parameterId attribute, 2014+), anywhere in the component; values are
-- evaluated when first referenced. Older schemas have no expressions, so nothing refers to them.
function Ctx:collect_parameters(node)
  local stack = {node}
  while #stack > 0 do
    local n = table.remove(stack)
    if (n.tag == "parameter" or n.tag == "moduleParameter") and n.attr.parameterId then
      local v = kid(n, "value")
      self.params[n.attr.parameterId] = {node = v or n, text = trim(v and v.text)}
      local nm = kid(n, "name")
      -- Real files also refer to a parameter by its name; the id wins when both exist.
      if nm and nm.text then self.names[trim(nm.text)] = self.names[trim(nm.text)] or n.attr.parameterId end
    end
    for i = #n.kids, 1, -1 do
      if n.kids[i].tag then stack[#stack + 1] = n.kids[i] end
    end
  end
end

function Ctx:param(id)
  local p = self.params[id]
  if not p and self.names[id] then p = self.params[self.names[id]] end
  if not p then return nil end
  if p.value == nil then
    if p.busy then error("parameter '" .. id .. "' refers to itself", 0) end
    if not p.text then error("parameter '" .. id .. "' has no value", 0) end
    p.busy = true
    local ok, v = pcall(expr.eval, p.text, self.lookup)
    p.busy = false
    if not ok then error("parameter '" .. id .. "' = '" .. p.text .. "': " .. v, 0) end
    p.value = v
  end
  return p.value
end

-- The integer value of child `tag` of `node` (or of `node` itself when tag is nil); `default`
-- when absent (nil default: an error "missing").
function Ctx:int(node, tag, what, default)
  local n = tag and kid(node, tag) or (not tag and node) or nil
  if not n then
    if default ~= nil then return default end
    self:fail(node, what, "%s is missing", tag)
  end
  local text = trim(n.text)
  if not text or text == "" then
    if default ~= nil then return default end
    self:fail(n, what, "has no value")
  end
  local cached = self.cache[text]
  if cached then return cached end
  local ok, v
  if self.gen >= 2014 then
    ok, v = pcall(expr.eval, text, self.lookup)
  else
    local why
    v, why = expr.scaled(text)
    ok = v ~= nil
    if not ok then v = why end
  end
  if not ok then
    local shown = #text > 80 and text:sub(1, 77) .. "..." or text
    if #v > 200 then v = v:sub(1, 197) .. "..." end
    self:fail(n, what, "cannot evaluate '%s': %s", shown, v)
  end
  self.cache[text] = v
  return v
end

function Ctx:name(node)
  local n = kid(node, "name")
  local s = trim(n and n.text)
  if not s or s == "" then self:fail(node, nil, "name is missing") end
  return s
end

function Ctx:present(node, what)
  local p = kid(node, "isPresent")
  if not p then return true end
  return self:int(p, nil, what) ~= 0
end

-- The access text of a register, field or block: 2022 access policies (the one without a
-- mode, else the first), else <access>.
local function access_text(node)
  local policies = kid(node, "accessPolicies") or kid(node, "fieldAccessPolicies")
  if policies then
    local chosen
    for _, p in ipairs(policies.kids) do
      if p.tag == "accessPolicy" or p.tag == "fieldAccessPolicy" then
        if not chosen or (not kid(p, "modeRef") and kid(chosen, "modeRef")) then chosen = p end
      end
    end
    local a = chosen and kid(chosen, "access")
    if a then return trim(a.text), a end
  end
  local a = kid(node, "access")
  if a then return trim(a.text), a end
end

-- Array dimensions: 2022 <array><dim>..</dim><stride>..</stride></array>; older: <dim>s.
-- Returns the list of dimensions (empty: not an array) and the stride (or nil).
function Ctx:dims(node, what)
  local holder = kid(node, "array") or node
  local dims, count = {}, 1
  for _, d in ipairs(kids(holder, "dim")) do
    local v = self:int(d, nil, what)
    if v < 0 then self:fail(d, what, "negative dim %d", v) end
    dims[#dims + 1] = v
    count = count * math.max(v, 1)
    if v > M.MAX_REGISTERS or count > M.MAX_REGISTERS then
      self:fail(d, what, "the array has more than %d elements (barlua's limit per file)", M.MAX_REGISTERS)
    end
  end
  -- A dim of 0 is written by tools for "not an array" (the schema wants >= 1).
  if #dims == 1 and dims[1] == 0 then dims = {} end
  local stride
  local s = kid(holder, "stride")
  if s then stride = self:int(s, nil, what) end
  return dims, stride
end

-- At most this many registers from one file (a real NIC has tens of thousands): a typo in a
-- dim (2**40) is an error, not an endless loop.
M.MAX_REGISTERS = 1 << 20

-- Calls fn(suffix, index) for every element of an array ("[i][j]" and flat index).
local function each_index(dims, fn)
  if #dims == 0 then fn("", 0) return end
  local count = 1
  for _, d in ipairs(dims) do count = count * d end
  local idx = {}
  for flat = 0, count - 1 do
    local rem = flat
    for k = #dims, 1, -1 do idx[k] = rem % dims[k]; rem = rem // dims[k] end
    local parts = {}
    for k = 1, #dims do parts[k] = "[" .. idx[k] .. "]" end
    fn(table.concat(parts), flat)
  end
end

local WIDER = {8, 16, 32, 64}

-- One <register> (all its array elements) at byte base `base` with name prefix `prefix`.
function Ctx:register(node, base, prefix, inherited_access)
  local name = self:name(node)
  local full = prefix .. name
  if not self:present(node, full) then return end
  if kid(node, "registerDefinitionRef") then
    self:fail(node, full, "registerDefinitionRef (2022 type definitions) is not supported")
  end
  local alt = kid(node, "alternateRegisters")
  if alt then self:skip(alt, full, "alternate registers (views of another mode) are not loaded") end
  local bits = self:int(node, "size", full)
  if bits < 1 then self:fail(node, full, "size %d is not positive", bits) end
  if bits > 64 then
    self:fail(node, full, "size %d bits is wider than 64 bits: barlua registers are 8, 16, 32 or 64 bits", bits)
  end
  local width
  for _, w in ipairs(WIDER) do if bits <= w then width = w break end end
  local offset = self:int(node, "addressOffset", full)
  local atext, anode = access_text(node)
  atext = atext or inherited_access
  if atext and not M.ACCESS[atext] then
    self:fail(anode or node, full, "access '%s' is not one of read-only, write-only, read-write, "
      .. "writeOnce, read-writeOnce", atext)
  end
  local doc = trim((kid(node, "description") or {}).text)
  -- Fields: each keeps its own access; the register's is the union of its fields'.
  local fields, nfields = {}, 0
  local reset, any_field_reset = 0, false
  local readable, writable = false, false
  for _, fnode in ipairs(kids(node, "field")) do
    local fname = self:name(fnode)
    local fwhat = full .. "." .. fname
    if self:present(fnode, fwhat) then
      if kid(fnode, "fieldDefinitionRef") then
        self:fail(fnode, fwhat, "fieldDefinitionRef (2022 type definitions) is not supported")
      end
      local lsb = self:int(fnode, "bitOffset", fwhat)
      local fw = self:int(fnode, "bitWidth", fwhat)
      if lsb < 0 or fw < 1 or lsb > bits - 1 or fw > bits - lsb then
        self:fail(fnode, fwhat, "bits %d..%d are outside the %d-bit register", lsb, lsb + fw - 1, bits)
      end
      if #self:dims(fnode, fwhat) > 0 then self:fail(fnode, fwhat, "field arrays are not supported") end
      local ftext, fanode = access_text(fnode)
      ftext = ftext or atext or "read-write"
      local facc = M.ACCESS[ftext]
      if not facc then
        self:fail(fanode or fnode, fwhat, "access '%s' is not one of read-only, write-only, read-write, "
          .. "writeOnce, read-writeOnce", ftext)
      end
      readable = readable or facc ~= "wo"
      writable = writable or facc ~= "ro"
      -- Field reset (2014+): the reset without a resetTypeRef (the hard reset), else the first.
      local resets = kid(fnode, "resets")
      if resets then
        local chosen
        for _, r in ipairs(kids(resets, "reset")) do
          if not chosen or (not kid(r, "resetTypeRef") and kid(chosen, "resetTypeRef")) then chosen = r end
        end
        if chosen then
          local v = self:int(chosen, "value", fwhat)
          local m = fw == 64 and -1 or (1 << fw) - 1
          reset = reset | ((v & m) << lsb)
          any_field_reset = true
        end
      end
      -- A field named like the view's own names (value, get, set) is NAME_; a second field of
      -- a name (generators write several "reserved") is NAME_2, NAME_3...; origin.name keeps it.
      local key = RESERVED_FIELD[fname] and fname .. "_" or fname
      if fields[key] then
        local n = 2
        while fields[key .. "_" .. n] do n = n + 1 end
        key = key .. "_" .. n
      end
      nfields = nfields + 1
      fields[key] = {bit = lsb, width = fw, access = facc,
        doc = trim((kid(fnode, "description") or {}).text),
        origin = {name = fname, access = ftext, line = fnode.line}}
    end
  end
  local access
  if nfields > 0 then
    access = (readable and writable) and "rw" or readable and "ro" or "wo"
  else
    access = M.ACCESS[atext or "read-write"]
  end
  -- Register reset (1.4 to 2009): <reset><value>; field resets win when both exist.
  local rnode = kid(node, "reset")
  if rnode and not any_field_reset then
    reset = self:int(rnode, "value", full)
    local mnode = kid(rnode, "mask")
    if mnode then reset = reset & self:int(mnode, nil, full) end
  end
  if bits < 64 then reset = reset & ((1 << bits) - 1) end
  local dims, stride = self:dims(node, full)
  local aub_bytes = self.aub // 8
  -- Array elements are packed at the register's size in address units unless a stride says.
  stride = stride or -((-bits) // self.aub)
  each_index(dims, function(suffix, flat)
    local reg = {name = full .. suffix, offset = base + (offset + flat * stride) * aub_bytes, width = width,
      access = access, reset = reset, doc = doc,
      origin = {line = node.line, access = atext, bits = bits, element = node.tag}}
    if nfields > 0 then reg.fields = fields end
    self.out[#self.out + 1] = reg
    if #self.out > M.MAX_REGISTERS then
      self:fail(node, full, "more than %d registers in the memory map (barlua's limit per file)", M.MAX_REGISTERS)
    end
  end)
end

-- A <registerFile> (and its array elements): registers and nested register files, names
-- joined with '.'.
function Ctx:register_file(node, base, prefix, inherited_access)
  local name = self:name(node)
  local full = prefix .. name
  if not self:present(node, full) then return end
  local offset = self:int(node, "addressOffset", full)
  local range = self:int(node, "range", full)
  local dims, stride = self:dims(node, full)
  stride = stride or range
  local atext = access_text(node) or inherited_access
  local aub_bytes = self.aub // 8
  each_index(dims, function(suffix, flat)
    local b = base + (offset + flat * stride) * aub_bytes
    self:contents(node, b, full .. suffix .. ".", atext)
  end)
end

function Ctx:contents(node, base, prefix, access)
  for _, k in ipairs(node.kids) do
    if k.tag == "register" then
      self:register(k, base, prefix, access)
    elseif k.tag == "registerFile" then
      self:register_file(k, base, prefix, access)
    end
  end
end

-- An <addressBlock> at address `at` (address units; nil: its own baseAddress).
function Ctx:block(node, at)
  local name = self:name(node)
  if not self:present(node, name) then return 0 end
  if kid(node, "addressBlockDefinitionRef") then
    self:fail(node, name, "addressBlockDefinitionRef (2022 type definitions) is not supported")
  end
  local dims = self:dims(node, name)
  if #dims > 0 then self:fail(node, name, "address block arrays are not supported") end
  local base = at or self:int(node, "baseAddress", name)
  local range = self:int(node, "range", name)
  self.blocks[#self.blocks + 1] = name
  if not self.only_block or self.only_block == name then
    self.found_block = self.found_block or self.only_block == name
    local first = #self.out + 1
    self:contents(node, base * (self.aub // 8), "", access_text(node))
    self.loaded[#self.loaded + 1] = {name = name, first = first, last = #self.out}
    local stop = (base + range) * (self.aub // 8)
    if stop > self.extent then self.extent = stop end
  end
  return range
end

-- A <bank> (1.5+): serial banks place their items one after the other from the bank's base,
-- parallel banks place every item at the bank's base. Returns the bank's range.
function Ctx:bank(node, at)
  local name = (kid(node, "name") and self:name(node)) or "bank"
  local base = at or self:int(node, "baseAddress", name)
  local alignment = node.attr.bankAlignment
  if alignment ~= "serial" and alignment ~= "parallel" then
    self:fail(node, name, "bankAlignment must be 'serial' or 'parallel', got %s", tostring(alignment))
  end
  local pos, total = base, 0
  for _, k in ipairs(node.kids) do
    local r
    if k.tag == "addressBlock" then r = self:block(k, pos)
    elseif k.tag == "bank" then r = self:bank(k, pos)
    elseif k.tag == "subspaceMap" then
      self:skip(k, kid(k, "name") and self:name(k), "a subspace map (another initiator's space) is not loaded")
    end
    if r then
      if alignment == "serial" then pos, total = pos + r, total + r else total = math.max(total, r) end
    end
  end
  return total
end

-- Loads `path`; opts.map (memory map name), opts.block (address block name).
function M.load(path, opts)
  opts = opts or {}
  local root, gen = parse(path)
  local label = path:match("[^/]+$")
  if root.tag ~= "component" then
    error(string.format("%s:%d: <%s>: not an IP-XACT component (the file's root element must be <component>)",
      path, root.line, tostring(root.tag)), 0)
  end
  local ctx = setmetatable({path = path, gen = gen, params = {}, names = {}, cache = {}, out = {},
    blocks = {}, loaded = {}, skipped = {}, extent = 0, only_block = opts.block}, Ctx)
  ctx.lookup = function(id) return ctx:param(id) end
  ctx:collect_parameters(root)
  local maps = {}
  local mm = kid(root, "memoryMaps")
  for _, m in ipairs(mm and kids(mm, "memoryMap") or {}) do maps[#maps + 1] = m end
  local names = {}
  for _, m in ipairs(maps) do names[#names + 1] = ctx:name(m) end
  local chosen
  if opts.map then
    for i, m in ipairs(maps) do if names[i] == opts.map then chosen = m end end
    if not chosen then
      error(string.format("%s: no memory map '%s'; the file has: %s", path, opts.map,
        #names > 0 and table.concat(names, ", ") or "none"), 0)
    end
  elseif #maps == 1 then
    chosen = maps[1]
  elseif #maps == 0 then
    error(string.format("%s:%d: <component>: no memory maps (nothing to load)", path, root.line), 0)
  else
    error(string.format("%s: %d memory maps: choose one with {map = NAME}: %s", path, #maps,
      table.concat(names, ", ")), 0)
  end
  local mname = ctx:name(chosen)
  ctx.aub = ctx:int(chosen, "addressUnitBits", mname, 8)
  if ctx.aub < 8 or ctx.aub % 8 ~= 0 or ctx.aub > 64 then
    ctx:fail(kid(chosen, "addressUnitBits"), mname, "addressUnitBits %d is not 8, 16, 24, ... 64: "
      .. "registers must start on bytes", ctx.aub)
  end
  for _, k in ipairs(chosen.kids) do
    if k.tag == "addressBlock" then ctx:block(k)
    elseif k.tag == "bank" then ctx:bank(k)
    elseif k.tag == "memoryRemap" then
      ctx:skip(k, kid(k, "name") and ctx:name(k), "a memory remap (the map in another mode) is not loaded")
    elseif k.tag == "subspaceMap" then
      ctx:skip(k, kid(k, "name") and ctx:name(k), "a subspace map (another initiator's space) is not loaded")
    end
  end
  if opts.block and not ctx.found_block then
    error(string.format("%s: memory map '%s' has no address block '%s'; it has: %s", path, mname, opts.block,
      #ctx.blocks > 0 and table.concat(ctx.blocks, ", ") or "none"), 0)
  end
  -- Several address blocks may reuse register names: with more than one loaded, each name
  -- is prefixed with its block's ("regs.ctrl"); block = NAME loads one block, unprefixed.
  if #ctx.loaded > 1 then
    for _, b in ipairs(ctx.loaded) do
      for i = b.first, b.last do ctx.out[i].name = b.name .. "." .. ctx.out[i].name end
    end
  end
  if #ctx.out == 0 then
    error(string.format("%s:%d: <memoryMap> '%s': no registers", path, chosen.line, mname), 0)
  end
  local cname = trim((kid(root, "name") or {}).text) or label
  return {name = cname, size = ctx.extent > 0 and ctx.extent or nil, registers = ctx.out, skipped = ctx.skipped,
    doc = string.format("%s memory map %s (IP-XACT %s, %s)", cname, mname, tostring(gen), label)}
end

return M
