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
--
-- How it is built, in file order: the limits (M.MAX_*); parse() reads the file at once into a
-- tree of the IP-XACT namespace's elements; Ctx holds one load: parameters (collect_parameters,
-- param), values (int, units; expressions in barlua.ipxact_expr), arrays (dims, each_index,
-- layout: the work and byte-offset checks before an array is laid out), 2022 type definitions
-- (type_document, definition, resolved: an element merged with the definition it names),
-- registers (alias_target: what an aliasOf names; room: whether a register may be widened;
-- register_shape: what one <register> says, read once; register: its elements placed),
-- register files, address blocks and banks; M.load picks the memory map and returns the table
-- and what else it read, for the cache: {folder = hash of the folder's .xml names, files =
-- {{path =, hash = of the bytes parsed}}} (typeDefinitions documents).
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

-- Limits. A design file is untrusted input (it comes from other teams and vendors): each limit
-- is an error naming the element and FILE:LINE, so a broken or hostile file ends in bounded
-- time and memory. Tests and users may lower them (require("barlua.ipxact").MAX_... = n).
M.MAX_FILE_BYTES = 128 << 20  -- the whole file, read at once and parsed by expat in one call
M.MAX_ELEMENTS = 1 << 21      -- IP-XACT elements kept (~150-300 bytes each; not: other namespaces, M.NOT_READ)
M.MAX_TEXT_BYTES = 1 << 20    -- one attribute value, or one element's text
M.MAX_DEPTH = 256             -- elements inside elements (register files nest inside that)
M.MAX_NAME = 1024             -- a register's full name ("file[3].sub.reg[1]"), regs.define's limit
M.MAX_REGISTERS = 1 << 18     -- registers from one memory map (a real NIC has tens of thousands; ~400 bytes each)
M.MAX_ELEMENTS_EXPANDED = 1 << 20  -- register and register-file array elements laid out, in all; also their visits
M.MAX_PARAMETER_DEPTH = 64    -- parameters whose values refer to parameters, one inside another
M.MAX_FOLDER_FILES = 4096     -- .xml files in the component's folder looked at for a typeDefinitions VLNV
M.MAX_TYPE_DOCUMENTS = 16     -- external typeDefinitions documents read for one load

-- Linear in the text's length, whatever its spaces.
local SPACE = {[9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true}
local function trim(s)
  if not s then return nil end
  if not SPACE[s:byte(1)] and not SPACE[s:byte(-1)] then return s end
  local a = s:find("%S")
  if not a then return "" end
  local b = #s
  while SPACE[s:byte(b)] do b = b - 1 end
  return s:sub(a, b)
end

-- Elements the loader never reads, and that hold no <parameter>: barlua.xml_core leaves them
-- out with everything inside them (enumerations are a large part of real vendor files).
M.NOT_READ = {displayName = true, shortDescription = true, volatile = true, testable = true,
  writeValueConstraint = true, enumeratedValues = true}

-- Value elements barlua.xml_core makes shared leaves when they have no attributes and no kids:
-- one table {tag =, text =} for each tag and text in a document, without a line (most of a
-- register map's elements: a table each was a quarter of the parse). Their lines are in their
-- parent's `lines`; `placed` gives a shared leaf its place for a message. Only tags whose every
-- reader asks `placed` before it names the element in a message are listed.
M.SHARED = {name = true, description = true, addressOffset = true, size = true, bitOffset = true,
  bitWidth = true, access = true, value = true, baseAddress = true, range = true, width = true,
  addressUnitBits = true}

-- A node with no children or attributes shares these (never changed: a node gets its own
-- table with its first child).
local NONE = setmetatable({}, {__newindex = function() error("barlua.ipxact: NONE is read-only") end})

-- A tree of {tag =, line =, kids = {...}, text =, attr = {...}} of the IP-XACT namespace's
-- elements only, each text without leading and trailing white space (readers take .text as
-- it is): an element of another namespace (vendor extensions) is not kept, nor anything
-- inside it. From barlua.xml_core, an element of M.SHARED may be a shared leaf (no line: its
-- parent's `lines` has it; `placed`); the lua-expat path makes every element a node of its own.
local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  -- One read and one parse: expat fed in 64 KiB chunks scanned an unfinished token (a 48 MB
  -- attribute) again with every chunk, 20 s against 0.2 s for one parse of the same bytes.
  -- Read at its size (read(n) allocates n bytes first: 128 MiB for every file), and on to the
  -- limit if it grew meanwhile; a file that cannot seek (a pipe) is read to the limit.
  local want = M.MAX_FILE_BYTES + 1
  local file_size = f:seek("end")
  if file_size and f:seek("set") and file_size < M.MAX_FILE_BYTES then want = file_size + 1 end
  local data, rerr = f:read(want)
  if data and #data == want and want <= M.MAX_FILE_BYTES then
    local more = f:read(M.MAX_FILE_BYTES + 1 - #data)
    if more then data = data .. more end
  end
  f:close()
  if not data then
    if rerr then error(path .. ": " .. tostring(rerr), 0) end
    error(path .. ": empty document", 0)
  end
  if #data > M.MAX_FILE_BYTES then
    error(string.format("%s: larger than %d bytes (barlua's limit for an IP-XACT file)", path, M.MAX_FILE_BYTES), 0)
  end
  return data
end

local function parse(path, data)
  data = data or read_file(path)
  local has_core, core = pcall(require, "barlua.xml_core")
  if has_core then
    local root, uri, params = core.tree(data, path, M.NAMESPACES,
      {depth = M.MAX_DEPTH, elements = M.MAX_ELEMENTS, text = M.MAX_TEXT_BYTES}, NONE, M.NOT_READ, M.SHARED)
    return root, M.NAMESPACES[uri], params
  end
  -- Without barlua.xml_core (not in a normal build): lua-expat's callbacks build the tree.
  local ok_lxp, lxp = pcall(require, "lxp")
  if not ok_lxp then
    error("IP-XACT needs Debian's lua-expat (apt-get install lua-expat): " .. tostring(lxp), 0)
  end
  local root
  local stack, texts, sizes = {}, {}, {}
  local depth, skipping, count = 0, 0, 0  -- skipping: the depth of the foreign element we are in
  local ns
  local function too_long(p, tag, what)
    error(string.format("%s:%d: <%s>: %s is longer than %d bytes (barlua's limit)", path, (p:pos()), tag, what,
      M.MAX_TEXT_BYTES), 0)
  end
  local callbacks = {
    StartElement = function(p, name, attrs)
      depth = depth + 1
      local uri, tag = name:match("^(.-)\1(.*)$")
      if not uri then uri, tag = "", name end
      local line = p:pos()
      if depth > M.MAX_DEPTH then
        error(string.format("%s:%d: <%s>: elements nest deeper than %d (barlua's limit)", path, line, tag,
          M.MAX_DEPTH), 0)
      end
      if not root then
        ns = uri
        local gen = M.NAMESPACES[uri]
        if not gen then
          error(string.format("%s:%d: <%s>: unknown namespace '%s' (not an IP-XACT schema: SPIRIT 1.4/1.5, "
            .. "IEEE 1685-2009, 1685-2014 or 1685-2022)", path, line, tag, uri), 0)
        end
      end
      if skipping > 0 then return end
      if uri ~= ns then skipping = depth return end
      count = count + 1
      if count > M.MAX_ELEMENTS then
        error(string.format("%s:%d: <%s>: more than %d IP-XACT elements (barlua's limit)", path, line, tag,
          M.MAX_ELEMENTS), 0)
      end
      local a = NONE
      for k, v in pairs(attrs) do
        if type(k) == "string" then
          if #v > M.MAX_TEXT_BYTES then too_long(p, tag, "attribute '" .. k:gsub("^.*\1", "") .. "'") end
          if a == NONE then a = {} end
          a[(k:match("\1(.*)$") or k)] = v
        end
      end
      local node = {tag = tag, line = line, kids = NONE, attr = a}
      local parent = stack[#stack]
      if parent then
        if parent.kids == NONE then parent.kids = {} end
        parent.kids[#parent.kids + 1] = node
      else
        root = node
      end
      stack[#stack + 1] = node
      texts[#stack], sizes[#stack] = nil, 0
    end,
    EndElement = function()
      depth = depth - 1
      if skipping > 0 then
        if depth < skipping then skipping = 0 end
        return
      end
      -- Trimmed, as barlua.xml_core does: white space between kids is not text.
      local t = texts[#stack]
      if t then
        local node = stack[#stack]
        local text = trim(table.concat(t))
        if text ~= "" or node.kids == NONE then node.text = text end
      end
      texts[#stack] = nil
      stack[#stack] = nil
    end,
    CharacterData = function(p, s)
      if skipping > 0 or #stack == 0 then return end
      local n = #stack
      local size = sizes[n] + #s
      if size > M.MAX_TEXT_BYTES then too_long(p, stack[n].tag, "the text") end
      sizes[n] = size
      local t = texts[n]
      if not t then t = {} texts[n] = t end
      t[#t + 1] = s
    end,
  }
  local parser = lxp.new(callbacks, "\1")
  local ok, perr = pcall(function()
    local r, msg, line = parser:parse(data)
    if r then r, msg, line = parser:parse() end
    if not r then error(string.format("%s:%s: XML error: %s", path, tostring(line), msg), 0) end
  end)
  data = nil  -- luacheck: ignore 311 (the file's bytes may be collected from here)
  pcall(parser.close, parser)  -- after a parse error close() raises again; the first error wins
  if not ok then error(perr, 0) end
  if not root then error(path .. ": empty document", 0) end
  return root, M.NAMESPACES[ns]
end

-- (Numeric loops: ipairs and gsub were a third of a large file's load time.) A kids table
-- barlua.xml_core made is indexed by tag (ks[tag]: the first kid of that tag, ks[0] = true);
-- one made here or by the lua-expat path is searched.
local function kids(node, tag)
  local out, ks = {}, node.kids
  if ks[0] and not ks[tag] then return out end
  for i = 1, #ks do
    local k = ks[i]
    if k.tag == tag then out[#out + 1] = k end
  end
  return out
end

-- The first kid of a tag (a register is asked for a dozen of its kids by tag, most of them
-- absent: the linear search was half of the walk's time).
local function kid(node, tag)
  local ks = node.kids
  if ks[0] then return ks[tag] end
  for i = 1, #ks do
    local k = ks[i]
    if k.tag == tag then return k end
  end
end

-- The unsigned LEB128 at `pos` of a node's `lines` (barlua.xml_core): the value and the
-- position after it.
local function uleb(s, pos)
  local v, shift = 0, 0
  repeat
    local b = s:byte(pos) or 0
    pos = pos + 1
    v = v | ((b & 0x7f) << shift)
    shift = shift + 7
  until b < 0x80
  return v, pos
end

-- The kid `leaf` of `parent` with its place (line, file) for a message: itself unless it is
-- a shared leaf (no line), then a copy with the line of its first place in parent.kids.
-- Linear in the kids: only for messages.
local function placed(parent, leaf)
  if leaf.line or not parent then return leaf end
  local ks, lines = parent.kids, parent.lines or ""
  local pos, line = 1, parent.line  -- (not among parent's kids: the parent's line)
  for i = 1, #ks do
    local delta
    delta, pos = uleb(lines, pos)
    if ks[i] == leaf then line = parent.line + delta break end
  end
  return {tag = leaf.tag, text = leaf.text, line = line, file = parent.file}
end

-- parent.kids with each shared leaf given its place (as `placed`), in one pass.
local function placed_kids(parent)
  local ks, out = parent.kids, {}
  local lines, pos = parent.lines or "", 1
  for i = 1, #ks do
    local delta
    delta, pos = uleb(lines, pos)
    local k = ks[i]
    if not k.line then k = {tag = k.tag, text = k.text, line = parent.line + delta, file = parent.file} end
    out[i] = k
  end
  return out
end

-- Ctrl-C and SIGTERM arrive as an error at the next Lua instruction (barlua's interrupt hook,
-- as in lua.c): the loader's own pcalls, which turn one unreadable register into an entry of
-- `skipped`, pass them on instead (a long load went on after Ctrl-C).
local function interrupted(err)
  return type(err) == "string" and (err:sub(-12) == "interrupted!" or err:sub(-20) == "terminated (SIGTERM)")
end

-- Whether an error ends the whole load rather than one register or block: anything but a
-- message, one of barlua's limits, or an interrupt.
local function ends_the_load(err)
  return type(err) ~= "string" or err:find("barlua's limit", 1, true) ~= nil or interrupted(err)
end

-- The loading context: file, generation, parameters by id.
local Ctx = {}
Ctx.__index = Ctx

-- FILE:LINE of a node for a message ("?" for a shared leaf not given its place by `placed`:
-- a reader that forgot it gives a message without a line, never an error of its own).
function Ctx:where(node)
  return string.format("%s:%s", node.file or self.path, node.line or "?")
end

-- What the file has that is deliberately not loaded, said in the result's `skipped` list (and by
-- scripts/regs.lua) rather than left out silently.
function Ctx:skip(node, what, why)
  self.skipped[#self.skipped + 1] = string.format("%s: <%s>%s: %s", self:where(node), node.tag,
    what and (" '" .. what .. "'") or "", why)
end

-- An inconsistency repaired (the result's `warnings`): the file is read as its other data
-- implies, and says so with its line.
function Ctx:warn(node, what, fmt, ...)
  self.warnings[#self.warnings + 1] = string.format("%s: <%s>%s: " .. fmt, self:where(node), node.tag or "?",
    what and (" '" .. what .. "'") or "", ...)
end

function Ctx:fail(node, what, fmt, ...)
  error(string.format("%s: <%s>%s: " .. fmt, self:where(node), node.tag or "?", what and (" '" .. what .. "'")
    or "", ...), 0)
end

-- A long value shortened for a message.
local function shorten(text, n)
  n = n or 80
  return #text > n and text:sub(1, n - 3) .. "..." or text
end

-- Parameters by id (the parameterId attribute, 2014+), anywhere in the component; values are
-- evaluated when first referenced. Older schemas have no expressions, so nothing refers to them.
function Ctx:collect_parameters(node, list)
  local function add(n)
    if n.attr.parameterId then
      local v = kid(n, "value")
      self.params[n.attr.parameterId] = {line = n.line, text = trim(v and v.text)}
      local nm = kid(n, "name")
      -- Real files also refer to a parameter by its name; the id wins when both exist.
      if nm and nm.text then self.names[trim(nm.text)] = self.names[trim(nm.text)] or n.attr.parameterId end
    end
  end
  -- The parser's list of <parameter>/<moduleParameter> elements, else a walk of the tree.
  if list then
    for i = 1, #list do add(list[i]) end
    return
  end
  local stack = {node}
  while #stack > 0 do
    local n = table.remove(stack)
    if n.tag == "parameter" or n.tag == "moduleParameter" then add(n) end
    for i = #n.kids, 1, -1 do stack[#stack + 1] = n.kids[i] end
  end
end

-- What went wrong inside a parameter's value, raised as a table: each enclosing parameter and
-- expression passes it on unchanged, so the message names the innermost cause and its place
-- (a chain of 200 parameters used to wrap it 200 times and cut it off).
local ParamError = {}

local function param_error(fmt, ...)
  error(setmetatable({message = string.format(fmt, ...)}, ParamError), 0)
end

function Ctx:param(id)
  local p = self.params[id]
  if not p and self.names[id] then p, id = self.params[self.names[id]], self.names[id] end
  if not p then return nil end
  if p.value == nil then
    local where = string.format("parameter '%s' (%s:%d)", shorten(id, 64), self.path, p.line)
    if p.busy then param_error("%s refers to itself", where) end
    if not p.text then param_error("%s has no value", where) end
    -- Each level is a pcall (a C call): the limit keeps far below Lua's C stack.
    if self.param_depth >= M.MAX_PARAMETER_DEPTH then
      param_error("%s: parameters refer to parameters more than %d deep (barlua's limit)", where,
        M.MAX_PARAMETER_DEPTH)
    end
    p.busy, self.param_depth = true, self.param_depth + 1
    local ok, v = pcall(expr.eval, p.text, self.lookup)
    p.busy, self.param_depth = false, self.param_depth - 1
    if not ok then
      if getmetatable(v) == ParamError or interrupted(v) then error(v, 0) end
      param_error("%s = '%s': %s", where, shorten(p.text), tostring(v))
    end
    p.value = v
  end
  return p.value
end

-- The integer value of child `tag` of `node` (or of `node` itself when tag is nil); `default`
-- when absent (nil default: an error "missing").
function Ctx:int(node, tag, what, default)
  local n = node
  if tag then
    local ks = node.kids  -- kid(), inlined: this runs several times for every field
    if ks[0] then n = ks[tag] else n = kid(node, tag) end
  end
  if not n then
    if default ~= nil then return default end
    self:fail(node, what, "%s is missing", tag)
  end
  local text = n.text  -- trimmed by the parser
  if not text or text == "" then
    if default ~= nil then return default end
    self:fail(placed(tag and node, n), what, "has no value")
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
    if interrupted(v) then error(v, 0) end
    n = placed(tag and node, n)
    if getmetatable(v) == ParamError then
      self:fail(n, what, "cannot evaluate '%s': %s", shorten(text), v.message)
    end
    self:fail(n, what, "cannot evaluate '%s': %s", shorten(text), shorten(tostring(v), 200))
  end
  self.cache[text] = v
  return v
end

-- The value of child `tag` as a count of address units (an offset, a range, a stride): an
-- integer from 0 to 2^63 - 1.
function Ctx:units(node, tag, what, default)
  local v = self:int(node, tag, what, default)
  if v < 0 then
    self:fail(tag and placed(node, kid(node, tag)) or node, what, "%s %d is negative (or beyond 2^63 - 1)",
      tag or node.tag, v)
  end
  return v
end

function Ctx:name(node)
  local ks = node.kids
  local n = ks[0] and ks.name or kid(node, "name")
  local s = n and n.text
  if not s or s == "" then self:fail(node, nil, "name is missing") end
  return s
end

function Ctx:present(node, what)
  local ks = node.kids
  local p = ks[0] and ks.isPresent or kid(node, "isPresent")
  if not p then return true end
  return self:int(p, nil, what) ~= 0
end

-- IEEE 1685-2022 type definitions. A field, register, register file or address block may
-- hold, instead of its own description, a `fieldDefinitionRef` (`registerDefinitionRef`,
-- `registerFileDefinitionRef`, `addressBlockDefinitionRef`) naming a definition, with a
-- `typeDefinitions` attribute naming one of the component's
-- <typeDefinitions><externalTypeDefinitions> (memoryMap.xsd and component.xsd of the
-- 1685-2022 schema: the attribute is an xs:Name keyed to externalTypeDefinitions/name), whose
-- `typeDefinitionsRef` gives the VLNV of a <typeDefinitions> document (typeDefinitions.xsd:
-- fieldDefinitions, registerDefinitions, registerFileDefinitions, addressBlockDefinitions,
-- and externalTypeDefinitions of its own). That document is looked for in the component's
-- folder only, by VLNV. The element then reads as the definition's elements completed by the
-- instance's own (name, offsets, array, description win): a merged node, made once per element.
local DEFINITIONS = {
  fieldDefinitionRef = {"fieldDefinitions", "fieldDefinition"},
  registerDefinitionRef = {"registerDefinitions", "registerDefinition"},
  registerFileDefinitionRef = {"registerFileDefinitions", "registerFileDefinition"},
  addressBlockDefinitionRef = {"addressBlockDefinitions", "addressBlockDefinition"},
}

local function vlnv_text(v)
  return string.format("%s:%s:%s:%s", v.vendor or "?", v.library or "?", v.name or "?", v.version or "?")
end

-- Marks every node of an external document with its file (messages name FILE:LINE of the
-- definition, and references inside it are resolved in that document).
local function mark_file(root, path)
  local stack = {root}
  while #stack > 0 do
    local n = stack[#stack]
    stack[#stack] = nil
    n.file = path
    local ks = n.kids
    for i = 1, #ks do stack[#stack + 1] = ks[i] end
  end
end

-- The folder of the component at `path` and its .xml files (sorted), or nil, why.
function M.folder_files(path)
  local folder = path:match("^(.*)/[^/]*$") or "."
  if folder == "" then folder = "/" end
  return folder, require("barlua.folder_core").xml_files(folder, M.MAX_FOLDER_FILES)
end

-- The <typeDefinitions> document of VLNV `want`, from the component's folder.
function Ctx:type_document(want, ref, what)
  local key = vlnv_text(want)
  local doc = self.type_docs[key]
  if doc then return doc end
  local folder, names, why = M.folder_files(self.path)
  if not names then
    self.sources.folder = "unlisted"  -- never matches: such a result is not served from the cache
    self:fail(ref, what, "typeDefinitions %s: %s", key, why)
  end
  local hash = require("barlua.cache_core").hash_string
  -- What the cache keys on: the folder's .xml names as listed here and the bytes parsed.
  self.sources.folder = self.sources.folder or hash(table.concat(names, "\0"))
  local found
  for _, name in ipairs(names) do
    local path = folder == "." and name or (folder:gsub("/$", "") .. "/" .. name)
    if path ~= self.path and not self.doc_paths[path] then
      -- Read and parsed only when it could be the one: a typeDefinitions document (its root
      -- element is near its start) naming the VLNV's name.
      local f = io.open(path, "rb")
      local head = f and f:read(65536) or ""
      if f then f:close() end
      local data = head:find("typeDefinitions", 1, true) and read_file(path)
      if data and data:find(want.name or "", 1, true) then
        local ok, root, gen, params = pcall(parse, path, data)
        if not ok and interrupted(root) then error(root, 0) end
        if ok and root.tag == "typeDefinitions" then
          local have = {}
          for _, t in ipairs{"vendor", "library", "name", "version"} do have[t] = trim((kid(root, t) or {}).text) end
          if vlnv_text(have) == key then
            if found then
              self:fail(ref, what, "typeDefinitions %s is in two files of %s: %s and %s", key, folder, found.path, path)
            end
            found = {root = root, gen = gen, params = params, path = path, hash = hash(data)}
          end
        end
      end
    end
  end
  if not found then
    self:fail(ref, what, "typeDefinitions %s not found: looked in the %d .xml files of %s (the component's "
      .. "folder; barlua looks nowhere else)", key, #names, folder)
  end
  self.ndocs = self.ndocs + 1
  if self.ndocs > M.MAX_TYPE_DOCUMENTS then
    self:fail(ref, what, "more than %d typeDefinitions documents (barlua's limit per load)", M.MAX_TYPE_DOCUMENTS)
  end
  mark_file(found.root, found.path)
  self:collect_parameters(found.root, found.params)
  self.doc_paths[found.path] = found.root
  self.sources.files[#self.sources.files + 1] = {path = found.path, hash = found.hash}
  self.type_docs[key] = found.root
  return found.root
end

-- The root of the document `node` belongs to.
function Ctx:root_of(node)
  return node.file and self.doc_paths[node.file] or self.root
end

-- The definition `ref` (a *DefinitionRef kid of `node`) names, as a node: the merged element.
function Ctx:definition(node, ref, what)
  local merged = self.merged[node]
  if merged then return merged end
  local spec = DEFINITIONS[ref.tag]
  local want = trim(ref.text)
  if not want or want == "" then self:fail(ref, what, "names no definition") end
  local holder = self:root_of(node)
  local tdname = ref.attr.typeDefinitions
  local ext
  local scope = holder.tag == "component" and kid(holder, "typeDefinitions") or holder
  if scope and tdname then ext = self:name_index(scope.kids, "externalTypeDefinitions")[tdname] end
  local doc
  if ext then
    local r = kid(ext, "typeDefinitionsRef")
    if not r then self:fail(ext, tdname, "typeDefinitionsRef is missing") end
    doc = self:type_document(r.attr, ref, what)
  elseif kid(holder, spec[1]) then
    -- The definitions of this document itself: in a typeDefinitions document (its schema does
    -- not tie the attribute to its externalTypeDefinitions), or, against the schema, in a
    -- component (said in `warnings`).
    doc = holder
    if holder.tag == "component" then
      self:warn(ref, what, "typeDefinitions '%s' names no externalTypeDefinitions: read from the component's own %s",
        tostring(tdname), spec[1])
    end
  else
    self:fail(ref, what, "typeDefinitions '%s' names no externalTypeDefinitions of the %s", tostring(tdname),
      holder.tag)
  end
  -- The last list of this kind that has the name, and the first of that name in it.
  local lists, def = kids(doc, spec[1]), nil
  for i = #lists, 1, -1 do
    def = self:name_index(lists[i].kids, spec[2])[want]
    if def then break end
  end
  if not def then
    self:fail(ref, what, "no %s '%s' in %s", spec[2], want, doc.file or self.path)
  end
  -- The instance's own elements first (its name, offsets, array, description), then the
  -- definition's that the instance does not have.
  local out, have = {}, {}
  for _, k in ipairs(placed_kids(node)) do
    if k ~= ref then out[#out + 1] = k have[k.tag] = true end
  end
  for _, k in ipairs(placed_kids(def)) do
    if not have[k.tag] or k.tag == "field" or k.tag == "register" or k.tag == "registerFile" then
      out[#out + 1] = k
    end
  end
  merged = {tag = node.tag, line = node.line, file = node.file, attr = node.attr, kids = out}
  self.merged[node] = merged
  return merged
end

-- The elements of `tag` in the kids list `list` by their (trimmed) name, the first of each
-- name; one without a name under NONE (a reference without a name finds one without). Made
-- once per list and tag: a search per reference made many aliases or definition references
-- quadratic.
function Ctx:name_index(list, tag)
  local index = self.by_name[list]
  if not index then
    index = {}
    self.by_name[list] = index
  end
  local by = index[tag]
  if not by then
    by = {}
    for _, k in ipairs(list) do
      if k.tag == tag then
        local n = trim((kid(k, "name") or NONE).text)
        if n == nil then n = NONE end
        if by[n] == nil then by[n] = k end
      end
    end
    index[tag] = by
  end
  return by
end

-- The element `node` reads as: itself, or merged with the definition it references (2022).
-- Kept per element: an element inside an array of register files is resolved at each of its
-- placements, and the search of its kids made the work grow with placements x kids.
function Ctx:resolved(node, what)
  if self.gen < 2022 then return node end
  local known = self.resolved_as[node]
  if known then return known end
  local ks = node.kids
  local out = node
  for i = 1, #ks do
    if DEFINITIONS[ks[i].tag] then out = self:definition(node, ks[i], what) break end
  end
  self.resolved_as[node] = out
  return out
end

-- The access text of a register, field or block: 2022 access policies (the one without a
-- mode, else the first), else <access>; and the <access> element, and the element holding it.
local function access_text(node)
  local ks = node.kids
  if ks[0] and not ks.accessPolicies and not ks.fieldAccessPolicies then
    local a = ks.access
    if a then return a.text, a, node end
    return nil
  end
  local policies = kid(node, "accessPolicies") or kid(node, "fieldAccessPolicies")
  if policies then
    local chosen
    for _, p in ipairs(policies.kids) do
      if p.tag == "accessPolicy" or p.tag == "fieldAccessPolicy" then
        if not chosen or (not kid(p, "modeRef") and kid(chosen, "modeRef")) then chosen = p end
      end
    end
    local a = chosen and kid(chosen, "access")
    if a then return a.text, a, chosen end
  end
  local a = kid(node, "access")
  if a then return a.text, a, node end
end

-- Array dimensions: 2022 <array><dim>..</dim><stride>..</stride></array>; older: <dim>s.
-- Returns the list of dimensions (empty: not an array), the number of elements and the stride
-- (or nil).
function Ctx:dims(node, what)
  local ks = node.kids
  if ks[0] and not ks.array and not ks.dim and not ks.stride then return NONE, 1, nil end
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
  count = 1
  for _, d in ipairs(dims) do count = count * d end
  local stride
  if kid(holder, "stride") then stride = self:units(holder, "stride", what) end
  return dims, count, stride
end

-- Calls fn(suffix, index) for every element of an array ("[i][j]" and flat index).
local function each_index(dims, count, fn)
  if #dims == 0 then fn("", 0) return end
  if #dims == 1 then
    for flat = 0, count - 1 do fn("[" .. flat .. "]", flat) end
    return
  end
  local idx = {}
  for flat = 0, count - 1 do
    local rem = flat
    for k = #dims, 1, -1 do idx[k] = rem % dims[k]; rem = rem // dims[k] end
    local parts = {}
    for k = 1, #dims do parts[k] = "[" .. idx[k] .. "]" end
    fn(table.concat(parts), flat)
  end
end

-- base + (offset + index * stride) * unit for non-negative integers, or nil when it passes
-- 2^63 - 1 (Lua's integers wrap: 'h4000000000000001 units of 4 bytes made byte 4).
local function byte_address(base, offset, index, stride, unit)
  local max = math.maxinteger
  if stride ~= 0 and index > (max - offset) // stride then return nil end
  local units = offset + index * stride
  if units > (max - base) // unit then return nil end
  return base + units * unit
end

-- Checks, before an array of `count` elements of `node` is laid out, that the work stays
-- bounded (every element visited counts, also of empty register files: two nested arrays of
-- 2^20 empty register files were 2^40 steps) and that its last element's byte address
-- base + (offset + (count - 1) * stride) * aub fits; the earlier elements then fit too.
function Ctx:layout(node, what, base, offset, count, stride)
  self.expanded = self.expanded + count
  if self.expanded > M.MAX_ELEMENTS_EXPANDED then
    self:fail(node, what, "the arrays of the memory map have more than %d elements (registers and register "
      .. "files, barlua's limit per file)", M.MAX_ELEMENTS_EXPANDED)
  end
  if count > 0 and not byte_address(base, offset, count - 1, stride, self.aub_bytes) then
    self:fail(node, what, "byte offset %s + (%s + %d * %s) * %d passes 2^63 - 1 (barlua's largest offset)",
      string.format("0x%x", base), string.format("0x%x", offset), count - 1, string.format("0x%x", stride),
      self.aub_bytes)
  end
end

-- The full name `prefix .. name`, at most M.MAX_NAME characters (with room for the "[i][j]" of
-- its array elements, checked when they are named).
function Ctx:full_name(node, prefix, name)
  local full = prefix .. name
  if #full > M.MAX_NAME then
    self:fail(node, shorten(full), "the name is longer than %d characters (barlua's limit)", M.MAX_NAME)
  end
  return full
end

local WIDER = {8, 16, 32, 64}

-- A field's readAction (2009/2014: in the field; 2022: in its fieldAccessPolicies), or nil.
local function read_action(fnode)
  local ks = fnode.kids
  if ks[0] and not ks.readAction and not ks.fieldAccessPolicies then return nil end
  local ra = kid(fnode, "readAction")
  local policies = not ra and kid(fnode, "fieldAccessPolicies")
  if policies then
    for _, p in ipairs(kids(policies, "fieldAccessPolicy")) do ra = ra or kid(p, "readAction") end
  end
  local text = ra and ra.text
  return text ~= "" and text or nil
end

-- The field an IEEE 1685-2022 `aliasOf` names (fieldReferenceGroup, commonStructures.xsd:
-- [memoryMapRef] [bankRef*] [addressBlockRef] registerFileRef* registerRef fieldRef, each a
-- name in an attribute of its own tag, register and register-file references with optional
-- <indices>), in the chosen memory map: its node, and its name as the result writes it
-- ("file.reg.field"; the block's name is added with the others' when several are loaded).
function Ctx:alias_target(anode, what)
  local function named(list, tag, name)
    return self:name_index(list, tag)[name == nil and NONE or name]
  end
  local function suffix(ref)
    local idx = kid(ref, "indices")
    local s = ""
    for _, i in ipairs(idx and kids(idx, "index") or {}) do s = s .. "[" .. self:int(i, nil, what) .. "]" end
    return s
  end
  local map = self.map_node
  local mref = kid(anode, "memoryMapRef")
  if kid(anode, "addressSpaceRef") then self:fail(anode, what, "aliasOf into an address space is not supported") end
  if mref and mref.attr.memoryMapRef ~= trim((kid(map, "name") or {}).text) then
    self:fail(anode, what, "aliasOf names memory map '%s', not the one loaded", tostring(mref.attr.memoryMapRef))
  end
  local bref = kid(anode, "addressBlockRef")
  local block = self.cur_block
  if bref then
    -- Blocks also sit in banks (bankRef* before it): the first block of that name at any depth
    -- (found once per name).
    local want = bref.attr.addressBlockRef
    block = want ~= nil and self.alias_blocks[want] or nil
    local stack, head = {map}, 1
    while not block and head <= #stack do
      local n = stack[head]
      head = head + 1
      block = named(n.kids, "addressBlock", want)
      for _, k in ipairs(n.kids) do if k.tag == "bank" then stack[#stack + 1] = k end end
    end
    if not block then self:fail(bref, what, "aliasOf: no address block '%s'", tostring(want)) end
    if want ~= nil then self.alias_blocks[want] = block end
  end
  local bname = trim((kid(block, "name") or {}).text)
  local holder = self:resolved(block, bname)
  local path = {}
  for _, fr in ipairs(kids(anode, "registerFileRef")) do
    local rf = named(holder.kids, "registerFile", fr.attr.registerFileRef)
    if not rf then self:fail(fr, what, "aliasOf: no register file '%s'", tostring(fr.attr.registerFileRef)) end
    holder = self:resolved(rf, what)
    path[#path + 1] = fr.attr.registerFileRef .. suffix(fr)
  end
  local rref, fref = kid(anode, "registerRef"), kid(anode, "fieldRef")
  if not rref or not fref then self:fail(anode, what, "aliasOf needs a registerRef and a fieldRef") end
  local reg = named(holder.kids, "register", rref.attr.registerRef)
  if not reg then self:fail(rref, what, "aliasOf: no register '%s'", tostring(rref.attr.registerRef)) end
  reg = self:resolved(reg, what)
  local target = named(reg.kids, "field", fref.attr.fieldRef)
  if not target then self:fail(fref, what, "aliasOf: register '%s' has no field '%s'", rref.attr.registerRef,
    tostring(fref.attr.fieldRef)) end
  target = self:resolved(target, what)
  if kid(target, "aliasOf") then self:fail(fref, what, "aliasOf names a field that is an alias itself") end
  local fname = fref.attr.fieldRef
  path[#path + 1] = rref.attr.registerRef .. suffix(rref)
  path[#path + 1] = RESERVED_FIELD[fname] and fname .. "_" or fname
  return target, table.concat(path, "."), bname
end

-- The registers and register files of `parent` whose offset can be read, as {offset, element}
-- sorted by offset: read once per parent (widening many registers of one parent scanned all of
-- their siblings for each).
function Ctx:sibling_offsets(parent)
  if not parent then return NONE end
  local list = self.siblings[parent]
  if list then return list end
  list = {}
  for _, k in ipairs(parent.kids) do
    if k.tag == "register" or k.tag == "registerFile" then
      local ok, o = pcall(self.units, self, k, "addressOffset", nil)
      if ok then list[#list + 1] = {o, k} elseif interrupted(o) then error(o, 0) end
    end
  end
  table.sort(list, function(a, b) return a[1] < b[1] end)
  self.siblings[parent] = list
  return list
end

-- Whether a register at `offset` (address units) of the element being read (self.parent: a
-- block or register file) can be widened to `width` bits, as the file's other data implies:
-- the block states a width at least as wide, the offset is aligned to it, and neither the
-- next register or register file, nor the next array element, nor the parent's range is
-- reached. Returns true, or false and why not.
function Ctx:room(node, offset, width, stride, count)
  local bytes = width // 8
  if not self.block_width then return false, "the address block states no width" end
  if width > self.block_width then
    return false, string.format("the address block is %d bits wide", self.block_width)
  end
  if (offset * self.aub_bytes) % bytes ~= 0 then
    return false, string.format("its offset is not %d-byte aligned", bytes)
  end
  if count > 1 and stride * self.aub_bytes < bytes then
    return false, "its array elements are closer"
  end
  local parent, nearest = self.parent, nil
  local list = self:sibling_offsets(parent)
  local lo, hi = 1, #list + 1  -- the first sibling at or after `offset`
  while lo < hi do
    local mid = (lo + hi) // 2
    if list[mid][1] < offset then lo = mid + 1 else hi = mid end
  end
  for i = lo, #list do
    if list[i][2] ~= node then nearest = list[i][1] break end
  end
  if nearest and (nearest - offset) * self.aub_bytes < bytes then
    return false, string.format("the next register starts at 0x%x", nearest)
  end
  local range = parent and kid(parent, "range") and self:units(parent, "range", nil)
  if range and (range - offset) * self.aub_bytes < bytes then
    return false, string.format("its %s's range ends at 0x%x", parent.tag, range)
  end
  return true
end

-- What a <register> element says, independent of where it is placed: size, width, offset,
-- access, reset, fields. Read once per element (a register inside an array of register files is
-- placed many times) and kept in self.shapes.
function Ctx:register_shape(node, full, inherited_access)
  local shape = self.shapes[node]
  if shape then return shape end
  local written = node
  node = self:resolved(node, full)
  local alt = kid(node, "alternateRegisters")
  if alt then self:skip(alt, full, "alternate registers (views of another mode) are not loaded") end
  local bits = self:int(node, "size", full)
  if bits < 1 then self:fail(node, full, "size %d is not positive", bits) end
  if bits > 64 then
    self:fail(node, full, "size %d bits is wider than 64 bits: barlua registers are 8, 16, 32 or 64 bits", bits)
  end
  local width
  for _, w in ipairs(WIDER) do if bits <= w then width = w break end end
  local offset = self:units(node, "addressOffset", full)
  local atext, anode, aholder = access_text(node)
  local stated = atext and M.ACCESS[atext]  -- the register's own access (not inherited)
  atext = atext or inherited_access
  if atext and not M.ACCESS[atext] then
    self:fail(anode and placed(aholder, anode) or node, full, "access '%s' is not one of read-only, write-only, "
      .. "read-write, writeOnce, read-writeOnce", atext)
  end
  local doc = (kid(node, "description") or NONE).text
  -- Fields: each keeps its own access; the register's is the union of its fields', unless the
  -- register itself says read-only or write-only (below).
  local fields, nfields = {}, 0
  local next_suffix = {}  -- name -> the next n to try for NAME_n (linear, not quadratic, renaming)
  local reset, any_field_reset = 0, false
  local side_effects = false
  local order = {}  -- field keys in the file's order (for warnings)
  local past, reach = nil, bits  -- fields reaching past the written size, and the highest bit + 1
  local written_bits = bits  -- origin.bits: the size as written, also when widened
  local v2022 = self.gen >= 2022
  for _, fnode in ipairs(kids(node, "field")) do
    local fname = self:name(fnode)
    local fwhat = full .. "." .. shorten(fname)
    if self:present(fnode, fwhat) then
      -- Each field has a bit of its own (regs.define refuses overlaps): no more fields than bits.
      nfields = nfields + 1
      if nfields > bits then
        self:fail(fnode, fwhat, "the %d-bit register has more than %d fields", bits, bits)
      end
      -- 2022: a field of a definition (fieldDefinitionRef), or an alias of another field
      -- (aliasOf: no bitWidth or resets of its own, those of the field it names).
      local data, alias, alias_block = fnode, nil, nil
      if v2022 then
        fnode = self:resolved(fnode, fwhat)
        data = fnode
        local alnode = kid(fnode, "aliasOf")
        if alnode then data, alias, alias_block = self:alias_target(alnode, fwhat) end
      end
      local lsb = self:int(fnode, "bitOffset", fwhat)
      local fw = self:int(data, "bitWidth", fwhat)
      -- Past the register (even past 64 bits) is repaired below; beyond 4096 bits is no field.
      if lsb < 0 or fw < 1 or fw > 4096 or lsb > 4096 then
        self:fail(fnode, fwhat, "bitOffset %d, bitWidth %d are outside the %d-bit register", lsb, fw, bits)
      end
      if #self:dims(fnode, fwhat) > 0 then self:fail(fnode, fwhat, "field arrays are not supported") end
      local ftext, fanode, faholder = access_text(fnode)
      ftext = ftext or atext or "read-write"
      local facc = M.ACCESS[ftext]
      if not facc then
        self:fail(fanode and placed(faholder, fanode) or fnode, fwhat, "access '%s' is not one of read-only, "
          .. "write-only, read-write, writeOnce, read-writeOnce", ftext)
      end
      -- Field reset (2014+): the reset without a resetTypeRef (the hard reset), else the first.
      local resets = kid(data, "resets")
      if resets then
        local chosen
        local rk = resets.kids  -- (no list made: this runs for every field)
        for i = 1, #rk do
          local r = rk[i]
          if r.tag == "reset" and (not chosen or (not kid(r, "resetTypeRef") and kid(chosen, "resetTypeRef"))) then
            chosen = r
          end
        end
        if chosen then
          local v = self:int(chosen, "value", fwhat)
          local m = fw >= 64 and -1 or (1 << fw) - 1
          if lsb < 64 then reset = reset | ((v & m) << lsb) end
          any_field_reset = true
        end
      end
      -- A field named like the view's own names (value, get, set) is NAME_; a second field of
      -- a name (generators write several "reserved") is NAME_2, NAME_3...; origin.name keeps it.
      local key = RESERVED_FIELD[fname] and fname .. "_" or fname
      if fields[key] then
        local n = next_suffix[key] or 2
        while fields[key .. "_" .. n] do n = n + 1 end
        next_suffix[key] = n + 1
        key = key .. "_" .. n
      end
      -- A field read with a side effect (IP-XACT readAction: clear, set, modify) makes the
      -- register one that regs.snapshot and regs.dump never read.
      local ra = read_action(fnode)
      if ra then side_effects = true end
      local f = {bit = lsb, width = fw, access = facc, alias = alias,
        doc = (kid(fnode, "description") or NONE).text,
        origin = {name = fname, access = ftext, line = fnode.line, read_action = ra}}
      fields[key] = f
      order[#order + 1] = key
      if alias then self.aliases[#self.aliases + 1] = {field = f, block = alias_block} end
      if lsb + fw > bits then
        past = past or {}
        past[#past + 1] = {key = key, node = fnode, what = fwhat}
        if lsb + fw > reach then reach = lsb + fw end
      end
    end
  end
  local dims, count, stride = self:dims(node, full)
  -- Array elements are packed at the register's size in address units unless a stride says.
  stride = stride or -((-bits) // self.aub)
  -- Fields reaching past the register's size (real files have them): widened when the file's
  -- other data leaves room (Ctx:room), else each such field is clipped to the size or, starting
  -- past it, left out; either is listed in `warnings`.
  if past then
    local wide
    for _, w in ipairs(WIDER) do if reach <= w then wide = w break end end
    local ok, why = false, "more than 64 bits"
    if wide then ok, why = self:room(written, offset, wide, stride, count) end
    if ok then
      self:warn(node, full, "fields reach bit %d, past its size %d: widened to %d bits (%d-bit accesses; the "
        .. "address block's width and the next register leave room)", reach - 1, bits, reach, wide)
      bits, width = reach, wide
    else
      for _, p in ipairs(past) do
        local f = fields[p.key]
        if f.bit > bits - 1 then
          self:warn(p.node, p.what, "bits %d..%d are outside the %d-bit register: the field is not loaded (not "
            .. "widened: %s)", f.bit, f.bit + f.width - 1, bits, why)
          fields[p.key] = nil
          nfields = nfields - 1
        else
          self:warn(p.node, p.what, "bits %d..%d pass the %d-bit register: clipped to bits %d..%d (not widened: %s)",
            f.bit, f.bit + f.width - 1, bits, f.bit, bits - 1, why)
          f.width = bits - f.bit
        end
      end
    end
  end
  -- A register that says read-only or write-only is that (real files put read-only reserved
  -- fields in write-only registers: the union would make it read-write, read before each
  -- field write and overlapping its read-only twin): a field of another access is loaded with
  -- the register's, said in `warnings`.
  if stated and stated ~= "rw" then
    for _, key in ipairs(order) do
      local f = fields[key]
      if f and f.access ~= stated then
        self:warn({tag = "field", line = f.origin.line, file = node.file}, full .. "." .. f.origin.name,
          "access '%s' in a %s register: loaded as %s", f.origin.access, atext, atext)
        f.access = stated
      end
    end
  end
  local readable, writable = false, false
  for _, f in pairs(fields) do
    readable = readable or f.access ~= "wo"
    writable = writable or f.access ~= "ro"
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
  shape = {bits = written_bits, width = width, offset = offset, access = access,
    atext = atext, reset = reset, doc = doc, side_effects = side_effects or nil,
    fields = nfields > 0 and fields or nil, dims = dims, count = count, stride = stride}
  self.shapes[written] = shape
  return shape
end

-- An element whose own description cannot be read fails the same way wherever it is placed.
-- It is read once: at its other placements (inside arrays of register files) it is not read
-- again, and `skipped` lists it once, with how many other placements it had (a register of
-- thousands of fields, refused, was read again at each of 24,576 placements: 9 s for a 3.8 MB
-- file). REPEATED is what such a placement raises; Ctx:contents counts it, nothing more.
local REPEATED = setmetatable({}, {__tostring = function() return "(an element refused at an earlier placement)" end})

-- fn(self, node, ...) for what `node` says whatever its placement; a failure (not one of
-- barlua's limits, which end the load and may depend on the placement) is remembered in
-- self.failed.
function Ctx:element(node, fn, ...)
  local ok, a, b, c = pcall(fn, self, node, ...)
  if ok then return a, b, c end
  if not ends_the_load(a) then self.failed[node] = {times = 0} end
  error(a, 0)
end

-- REPEATED when `node` was refused at an earlier placement.
function Ctx:refused_before(node)
  local f = self.failed[node]
  if f then
    f.times = f.times + 1
    error(REPEATED, 0)
  end
end

-- A register's full name and shape, or nil when it is absent (one pcall per placement).
function Ctx:register_facts(node, prefix, inherited_access)
  local full = self:full_name(node, prefix, self:name(node))
  if not self:present(node, full) then return nil end
  return full, self:register_shape(node, full, inherited_access)
end

-- One <register> (all its array elements) at byte base `base` with name prefix `prefix`.
function Ctx:register(node, base, prefix, inherited_access)
  self:refused_before(node)
  local full, r = self:element(node, Ctx.register_facts, prefix, inherited_access)
  if not full then return end
  if #self.out + r.count > M.MAX_REGISTERS then
    self:fail(node, full, "more than %d registers in the memory map (barlua's limit per file)", M.MAX_REGISTERS)
  end
  self:layout(node, full, base, r.offset, r.count, r.stride)
  local unit = self.aub_bytes
  local origin = {line = node.line, access = r.atext, bits = r.bits, element = node.tag}
  each_index(r.dims, r.count, function(suffix, flat)
    self.out[#self.out + 1] = {name = self:full_name(node, full, suffix),
      offset = base + (r.offset + flat * r.stride) * unit, width = r.width, access = r.access, reset = r.reset,
      doc = r.doc, fields = r.fields, origin = origin, side_effects = r.side_effects}
  end)
end

-- A register file's full name, the element it reads as, and what it says independent of its
-- placement (offset, array, stride, its own access: read once per element, as a register file
-- inside an array of register files is placed many times and reading its array scans its
-- kids); nil when it is absent. One pcall per placement.
function Ctx:register_file_facts(written, prefix)
  local full = self:full_name(written, prefix, self:name(written))
  if not self:present(written, full) then return nil end
  local node = self:resolved(written, full)
  -- Type definitions can nest register files without end (a definition holding itself).
  if self.rf_depth >= M.MAX_DEPTH then
    self:fail(node, full, "register files nest deeper than %d (barlua's limit)", M.MAX_DEPTH)
  end
  local rf = self.rf_shapes[written]
  if not rf then
    local offset = self:units(node, "addressOffset", full)
    local range = self:units(node, "range", full)
    local dims, count, stride = self:dims(node, full)
    rf = {offset = offset, dims = dims, count = count, stride = stride or range, atext = access_text(node)}
    self.rf_shapes[written] = rf
  end
  return full, node, rf
end

-- A <registerFile> (and its array elements): registers and nested register files, names
-- joined with '.'. Nesting is bounded by M.MAX_DEPTH (when the file is read) and M.MAX_NAME.
function Ctx:register_file(node, base, prefix, inherited_access)
  self:refused_before(node)
  local full, rf
  full, node, rf = self:element(node, Ctx.register_file_facts, prefix)
  if not full then return end
  local offset, dims, count, stride = rf.offset, rf.dims, rf.count, rf.stride
  local atext = rf.atext or inherited_access
  self:layout(node, full, base, offset, count, stride)
  -- Its elements are visited only when they can give a register.
  if not self:has_registers(node) then return end
  local unit = self.aub_bytes
  self.rf_depth = self.rf_depth + 1
  each_index(dims, count, function(suffix, flat)
    self:contents(node, base + (offset + flat * stride) * unit, self:full_name(node, full, suffix) .. ".", atext)
  end)
  self.rf_depth = self.rf_depth - 1
end

-- Whether a register file holds a <register>, directly or in a register file inside it (kept
-- per element: each is looked at once).
function Ctx:has_registers(node)
  local known = self.nonempty[node]
  if known == nil then
    known = false
    self.nonempty[node] = false  -- a register file defined through itself (2022) holds none
    for _, k in ipairs(node.kids) do
      if k.tag == "register" or (k.tag == "registerFile" and self:has_registers(self:resolved(k))) then
        known = true
        break
      end
    end
    self.nonempty[node] = known
  end
  return known
end

-- One register (or register file) that cannot be read as intended is left out and listed in
-- `skipped` with its reason; the others load. Limits of barlua's stay errors for the file.
-- Its registers and register files are listed once per element (the other kids, most of
-- them, are not looked at again at each placement), and every visit of one counts towards
-- M.MAX_ELEMENTS_EXPANDED: a visit that lays nothing out (an absent register, one that
-- cannot be read) still costs, and arrays multiply visits.
function Ctx:contents(node, base, prefix, access)
  local members = self.members[node]
  if not members then
    members = {}
    for _, k in ipairs(node.kids) do
      if k.tag == "register" or k.tag == "registerFile" then members[#members + 1] = k end
    end
    self.members[node] = members
  end
  self.visits = self.visits + #members
  if self.visits > M.MAX_ELEMENTS_EXPANDED then
    self:fail(node, prefix ~= "" and prefix:sub(1, -2) or nil, "registers and register files are visited more "
      .. "than %d times in the memory map's arrays (barlua's limit per file)", M.MAX_ELEMENTS_EXPANDED)
  end
  for _, k in ipairs(members) do
    local fn = k.tag == "register" and self.register or self.register_file
    self.parent = node  -- for Ctx:room (a register file's contents set it again)
    local depth = self.rf_depth
    local ok, err = pcall(fn, self, k, base, prefix, access)
    self.rf_depth = depth
    if not ok and err ~= REPEATED then
      if ends_the_load(err) then error(err, 0) end
      self.bad[#self.bad + 1] = err
      self.skipped[#self.skipped + 1] = err .. " (not loaded)"
      local f = self.failed[k]
      if f and not f.at then f.at, f.err = #self.skipped, err end
    end
  end
end

-- An <addressBlock> at address `at` (address units; nil: its own baseAddress).
function Ctx:block(node, at)
  local name = self:name(node)
  if not self:present(node, name) then return 0 end
  local written = node
  node = self:resolved(node, name)
  local dims = self:dims(node, name)
  if #dims > 0 then self:fail(node, name, "address block arrays are not supported") end
  local base = at or self:units(node, "baseAddress", name)
  local range = kid(node, "range") and self:units(node, "range", name)
  -- The block's end in bytes, checked: everything inside starts before it or is refused later.
  local function stop_of(r)
    local stop = byte_address(0, base, 1, r, self.aub_bytes)
    if not stop then
      self:fail(node, name, "base 0x%x + range 0x%x address units of %d bytes pass 2^63 - 1 (barlua's largest "
        .. "offset)", base, r, self.aub_bytes)
    end
    return stop
  end
  local stop = range and stop_of(range)
  self.blocks[#self.blocks + 1] = name
  local first = #self.out + 1
  if not self.only_block or self.only_block == name then
    self.found_block = self.found_block or self.only_block == name
    self.block_width = kid(node, "width") and self:int(node, "width", name) or nil
    self.cur_block = written
    self:contents(node, base * self.aub_bytes, "", access_text(node))
    self.loaded[#self.loaded + 1] = {name = name, first = first, last = #self.out}
    -- No width (real files leave it out): its widest register's, said in `warnings`.
    if not self.block_width and #self.out >= first then
      local widest = 0
      for i = first, #self.out do widest = math.max(widest, self.out[i].width) end
      self:warn(node, name, "no width: %d bits, its widest register's", widest)
    end
  end
  -- No range (real files leave it out): the end of its last register, said in `warnings`.
  if not range then
    local last = base * self.aub_bytes
    for i = first, #self.out do
      local r = self.out[i]
      last = math.max(last, r.offset + r.width // 8)
    end
    range = -((base * self.aub_bytes - last) // self.aub_bytes)
    self:warn(node, name, "no range: 0x%x address units, from its registers", range)
    stop = stop_of(range)
  end
  if (not self.only_block or self.only_block == name) and stop > self.extent then self.extent = stop end
  return range
end

-- A <bank> (1.5+): serial banks place their items one after the other from the bank's base,
-- parallel banks place every item at the bank's base. Returns the bank's range.
function Ctx:bank(node, at)
  local name = (kid(node, "name") and self:name(node)) or "bank"
  local base = at or self:units(node, "baseAddress", name)
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
      if alignment == "serial" then
        if r > math.maxinteger - pos then
          self:fail(k, name, "the serial bank's items pass address 2^63 - 1 (barlua's largest offset)")
        end
        pos, total = pos + r, total + r
      else
        total = math.max(total, r)
      end
    end
  end
  return total
end

-- Loads `path`; opts.map (memory map name), opts.block (address block name).
function M.load(path, opts)
  opts = opts or {}
  local root, gen, param_nodes = parse(path)
  local label = path:match("[^/]+$")
  if root.tag ~= "component" then
    error(string.format("%s:%d: <%s>: not an IP-XACT component (the file's root element must be <component>)",
      path, root.line, tostring(root.tag)), 0)
  end
  local ctx = setmetatable({path = path, gen = gen, params = {}, names = {}, cache = {}, out = {},
    blocks = {}, loaded = {}, skipped = {}, warnings = {}, bad = {}, extent = 0, only_block = opts.block,
    shapes = {}, nonempty = {}, merged = {}, aliases = {}, type_docs = {}, doc_paths = {}, sources = {files = {}},
    rf_shapes = {}, resolved_as = {}, members = {}, siblings = {}, by_name = {}, failed = {},
    alias_blocks = {},
    ndocs = 0, rf_depth = 0, expanded = 0, visits = 0, param_depth = 0}, Ctx)
  ctx.root = root
  ctx.lookup = function(id) return ctx:param(id) end
  ctx:collect_parameters(root, param_nodes)
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
  ctx.map_node = chosen
  ctx.aub = ctx:int(chosen, "addressUnitBits", mname, 8)
  if ctx.aub < 8 or ctx.aub % 8 ~= 0 or ctx.aub > 64 then
    ctx:fail(placed(chosen, kid(chosen, "addressUnitBits")), mname, "addressUnitBits %d is not 8, 16, 24, ... 64: "
      .. "registers must start on bytes", ctx.aub)
  end
  ctx.aub_bytes = ctx.aub // 8
  for _, k in ipairs(chosen.kids) do
    if k.tag == "addressBlock" or k.tag == "bank" then
      -- A block that cannot be read as intended is listed in `skipped`; the others load.
      local ok, err = pcall(k.tag == "bank" and ctx.bank or ctx.block, ctx, k)
      if not ok then
        if ends_the_load(err) then error(err, 0) end
        ctx.bad[#ctx.bad + 1] = err
        ctx.skipped[#ctx.skipped + 1] = err .. " (not loaded)"
      end
    elseif k.tag == "memoryRemap" then
      ctx:skip(k, kid(k, "name") and ctx:name(k), "a memory remap (the map in another mode) is not loaded")
    elseif k.tag == "subspaceMap" then
      ctx:skip(k, kid(k, "name") and ctx:name(k), "a subspace map (another initiator's space) is not loaded")
    end
  end
  -- An element refused at one placement is listed once, with how many more it had.
  for _, f in pairs(ctx.failed) do
    if f.at and f.times > 0 then
      ctx.skipped[f.at] = string.format("%s (not loaded, here nor at its %d other placements)", f.err, f.times)
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
    for _, a in ipairs(ctx.aliases) do a.field.alias = a.block .. "." .. a.field.alias end
  end
  if #ctx.out == 0 then
    -- Nothing could be read: the first register's reason is the file's.
    if #ctx.bad > 0 then error(ctx.bad[1], 0) end
    error(string.format("%s:%d: <memoryMap> '%s': no registers", path, chosen.line, mname), 0)
  end
  local cname = trim((kid(root, "name") or {}).text) or label
  return {name = cname, size = ctx.extent > 0 and ctx.extent or nil, registers = ctx.out, skipped = ctx.skipped,
    warnings = ctx.warnings,
    doc = string.format("%s memory map %s (IP-XACT %s, %s)", cname, mname, tostring(gen), label)}, ctx.sources
end

return M
