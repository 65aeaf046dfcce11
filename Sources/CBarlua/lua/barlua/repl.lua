-- barlua.repl: how the REPL shows values and completes names.
local M = {}

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function hex(n)
  return string.format("0x%x", n)
end

-- Values are the user's: their metatables may lie. The printer never calls __len, __index or
-- getmetatable (__metatable), and a __tostring that raises or returns a non-string falls
-- back to the raw "type: address" form. Printing never raises.
local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return string.format("%s: %p", type(v), v)
end

local function raw_metatable(v)
  local mt = debug.getmetatable(v)
  return type(mt) == "table" and mt or nil
end

-- Integers of 256 and more (and negative ones) also in hex, because users read registers.
local function scalar(v)
  local t = math.type(v)
  if t == "integer" then
    if v >= 256 or v < 0 then
      return string.format("%d (%s)", v, hex(v))
    end
    return tostring(v)
  elseif type(v) == "string" then
    return (string.format("%q", v):gsub("\\\n", "\\n"))
  end
  return safe_tostring(v)
end

local function sorted_keys(t)
  local keys = {}
  for k in next, t do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then
      if ta == "number" then return true end
      if tb == "number" then return false end
      return ta < tb
    end
    if ta == "number" or ta == "string" then return a < b end
    return safe_tostring(a) < safe_tostring(b)
  end)
  return keys
end

-- A table with its keys, nested tables indented, cycles shown as <cycle>, depth limited.
local function show(v, indent, seen, depth)
  local mt = raw_metatable(v)
  if type(v) ~= "table" or mt and rawget(mt, "__tostring") then
    return scalar(v)
  end
  if seen[v] then return "<cycle: " .. safe_tostring(v) .. ">" end
  if depth > 6 then return "{...}" end
  local keys = sorted_keys(v)
  if #keys == 0 then return "{}" end
  seen[v] = true
  local n = rawlen(v)
  local parts = {}
  local pad = indent .. "  "
  for _, k in ipairs(keys) do
    local shown
    if math.type(k) == "integer" and k >= 1 and k <= n then
      shown = show(rawget(v, k), pad, seen, depth + 1)
    elseif is_identifier(k) then
      shown = k .. " = " .. show(rawget(v, k), pad, seen, depth + 1)
    else
      shown = "[" .. show(k, pad, seen, depth + 1) .. "] = " .. show(rawget(v, k), pad, seen, depth + 1)
    end
    parts[#parts + 1] = shown
  end
  seen[v] = nil
  local one = "{ " .. table.concat(parts, ", ") .. " }"
  if #one <= 100 and not one:find("\n") then return one end
  return "{\n" .. pad .. table.concat(parts, ",\n" .. pad) .. "\n" .. indent .. "}"
end

function M.format(v)
  local ok, s = pcall(show, v, "", {}, 0)
  if ok then return s end
  return safe_tostring(v)  -- not reached unless memory runs out; printing still never raises
end

-- Prints each value on its own line (as lua.c's REPL prints them, but readable).
function M.show(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do
    out[i] = M.format((select(i, ...)))
  end
  if n > 0 then io.stdout:write(table.concat(out, "\t"), "\n") end
end

local function complete_hook(v)
  local mt = debug.getmetatable(v)
  local hook = type(mt) == "table" and rawget(mt, "__complete")
  return type(hook) == "function" and hook or nil
end

-- The keys reachable from a value: table keys, bar fields and methods (through the hidden
-- metatable), and __index tables; no __index function is ever called.
local function members(v)
  -- A value whose metatable has __complete (barlua.regs bindings and register views, and
  -- any module that wants it) lists its own names: __complete(v) -> {name = value}, where
  -- the value is a function for what `v:name` may call. It never touches a device.
  local hook = complete_hook(v)
  if hook then
    local ok, names = pcall(hook, v)
    return ok and type(names) == "table" and names or {}
  end
  local names, seen = {}, {}
  local function add_table(t, depth)
    if type(t) ~= "table" or seen[t] or depth > 4 then return end
    seen[t] = true
    for k, val in next, t do
      if type(k) == "string" and not k:match("^__") then names[k] = val end
    end
    local mt = debug.getmetatable(t)
    if mt and type(rawget(mt, "__index")) == "table" then add_table(rawget(mt, "__index"), depth + 1) end
  end
  if type(v) == "table" then
    add_table(v, 0)
  else
    local mt = debug.getmetatable(v)
    if mt and type(rawget(mt, "__index")) == "table" then add_table(rawget(mt, "__index"), 0) end
  end
  return names
end

-- Candidates for the word before the cursor: "pr" -> globals; "pci.de" -> fields of pci;
-- "bar:re" -> methods of bar. Returns full words (no "(" suffix: readline treats it as a word
-- break and would not list the candidates).
function M.complete(word)
  local path, sep, prefix = word:match("^(.-)([.:])([%w_]*)$")
  local scope
  if path then
    scope = _G
    for name in path:gmatch("[^.:]+") do
      local ok, nextv = pcall(function()
        -- __complete(v, name): the value `v.name` names, for completing after it (a
        -- register's view), or nil; computed without reading anything.
        local hook = complete_hook(scope)
        if hook then return hook(scope, name) end
        if type(scope) == "table" then return rawget(scope, name) end
        return members(scope)[name]
      end)
      if not ok or nextv == nil then return {} end
      scope = nextv
    end
  else
    path, sep, prefix, scope = "", "", word, _G
  end
  local found = {}
  for name, val in pairs(members(scope)) do
    -- Only names the syntax can follow: `r["timer1.ctrl"]` is not completed after a dot.
    if name:sub(1, #prefix) == prefix and (sep ~= ":" or type(val) == "function")
      and (sep == "" or name:match("^[%a_][%w_]*$")) then
      found[#found + 1] = path .. sep .. name
    end
  end
  if not path or path == "" then
    for _, kw in ipairs { "and", "break", "do", "else", "elseif", "end", "false", "for",
      "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return",
      "then", "true", "until", "while" } do
      if kw:sub(1, #prefix) == prefix then found[#found + 1] = kw end
    end
  end
  table.sort(found)
  return found
end

return M
