-- barlua.ipxact_expr: the integer expressions of IP-XACT 1685-2014 and 1685-2022 values.
--
-- IP-XACT 2014+ writes offsets, sizes and resets as SystemVerilog constant expressions over the
-- component's parameters, referenced by parameter id: `4 * (2 ** 10)`, `$pow(2,7)`, `'h180`,
-- `4'hf`, `{24{1'b1}}`, `cond ? a : b`, `('hFF000000) / $pow(2,24) % $pow(2,8)`. This module
-- evaluates them with 64-bit integers:
--
--   local expr = require "barlua.ipxact_expr"
--   local v = expr.eval("4 * (2 ** width)", function(id) return params[id] end)
--
-- `lookup(id)` returns the integer value of a parameter id, or nil when there is none (an
-- error naming the id follows). Errors are plain strings (no position): the caller adds the
-- file, line and element.
--
-- Literals: decimal (`1_000`), SystemVerilog based literals with optional size and sign
-- (`'h1F`, `8'sd3`, `4'b1010`; x/z digits are refused), C hex `0x1f` (written by real tools),
-- and `true`/`false`. Operators, by SystemVerilog precedence: unary `+ - ! ~`, `**`, `* / %`,
-- `+ -`, `<< >> <<< >>>`, `< <= > >=`, `== !=`, `&`, `^`, `|`, `&&`, `||`, `? :`.
-- Functions: `$pow(a, b)`, `$clog2(x)`. Concatenation `{a, b}` and replication `{n{a}}` need
-- operands of known width: sized literals, or concatenations of them.
local M = {}

-- Tokens: {kind, value[, width]}; kinds: num, id, op, sys ($name), eof.
local function tokenize(s)
  local toks, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c:match("%s") then
      i = i + 1
    else
      -- Based literal: [size] ' [s] base digits
      local size, _sign, base, digits, stop = s:match("^(%d*)%s*'([sS]?)([hHdDbBoO])%s*([%w_]+)()", i)
      local hexdigits, hstop = s:match("^0[xX]([%x_]+)()", i)
      if base then
        local radix = ({h = 16, d = 10, b = 2, o = 8})[base:lower()]
        local clean = digits:gsub("_", "")
        if clean:match("[xXzZ?]") then error("x/z digits have no integer value in '" .. s .. "'", 0) end
        if clean == "" or not tonumber(clean, radix) then
          error(string.format("bad %s literal '%s'", base, s:sub(i, stop - 1)), 0)
        end
        local significant = clean:gsub("^0+", "")
        local limit = ({[16] = 16, [10] = 19, [8] = 21, [2] = 64})[radix]
        if #significant > limit or (radix == 10 and not math.tointeger(tonumber(clean))) then
          error("literal '" .. s:sub(i, stop - 1) .. "' is wider than 64 bits", 0)
        end
        local v = 0
        for d in clean:gmatch(".") do v = v * radix + tonumber(d, radix) end
        local width = size ~= "" and tonumber(size) or nil
        if width then
          if width < 1 then error("literal size 0 in '" .. s .. "'", 0) end
          if width < 64 then v = v & ((1 << width) - 1) end
        end
        toks[#toks + 1] = {"num", v, width}
        i = stop
      elseif hexdigits then
        local clean = hexdigits:gsub("_", "")
        if #clean > 16 then error("hex literal wider than 64 bits in '" .. s .. "'", 0) end
        toks[#toks + 1] = {"num", math.tointeger(tonumber(clean, 16)) or error("bad hex literal", 0)}
        i = hstop
      elseif c:match("%d") then
        local d, dstop = s:match("^([%d_]+)()", i)
        local clean = d:gsub("_", "")
        local v = math.tointeger(tonumber(clean))
        if not v or #clean > 19 then error("decimal literal '" .. d .. "' does not fit in 64 bits", 0) end
        if s:sub(dstop, dstop):match("[%.eE]") then
          error("real numbers are not supported ('" .. s .. "')", 0)
        end
        toks[#toks + 1] = {"num", v}
        i = dstop
      elseif c == "$" then
        local name, nstop = s:match("^%$([%a_][%w_]*)()", i)
        if not name then error("bad system function in '" .. s .. "'", 0) end
        toks[#toks + 1] = {"sys", name}
        i = nstop
      elseif c:match("[%a_]") then
        local name, nstop = s:match("^([%a_][%w_%.]*)()", i)
        toks[#toks + 1] = {"id", name}
        i = nstop
      elseif c == '"' then
        error("strings have no integer value ('" .. s .. "')", 0)
      else
        local op
        for _, cand in ipairs{"<<<", ">>>", "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||"} do
          if s:sub(i, i + #cand - 1) == cand then op = cand break end
        end
        op = op or c
        if not op:match("^[%+%-%*/%%<>=!~&|%^%?:%(%),{}]") and #op == 1 then
          error(string.format("unexpected character '%s' in '%s'", c, s), 0)
        end
        toks[#toks + 1] = {"op", op}
        i = i + #op
      end
    end
  end
  toks[#toks + 1] = {"eof"}
  return toks
end

local BINARY = {
  ["||"] = 1, ["&&"] = 2, ["|"] = 3, ["^"] = 4, ["&"] = 5, ["=="] = 6, ["!="] = 6,
  ["<"] = 7, ["<="] = 7, [">"] = 7, [">="] = 7, ["<<"] = 8, [">>"] = 8, ["<<<"] = 8, [">>>"] = 8,
  ["+"] = 9, ["-"] = 9, ["*"] = 10, ["/"] = 10, ["%"] = 10, ["**"] = 11,
}

local function ipow(a, b)
  if b < 0 then
    if a == 1 then return 1 elseif a == -1 then return b % 2 == 0 and 1 or -1 end
    error("negative exponent in " .. a .. " ** " .. b, 0)
  end
  local r = 1
  while b > 0 do
    if b & 1 == 1 then r = r * a end
    a, b = a * a, b >> 1
  end
  return r
end

local function apply(op, a, b)
  if op == "+" then return a + b
  elseif op == "-" then return a - b
  elseif op == "*" then return a * b
  elseif op == "/" or op == "%" then
    if b == 0 then error("division by zero", 0) end
    -- SystemVerilog divides toward zero (Lua's // floors).
    local q = a // b
    if q < 0 and q * b ~= a then q = q + 1 end
    if op == "/" then return q end
    return a - q * b
  elseif op == "**" then return ipow(a, b)
  elseif op == "<<" or op == "<<<" then return b >= 64 and 0 or a << b
  elseif op == ">>" then return b >= 64 and 0 or a >> b
  elseif op == ">>>" then return b >= 64 and (a < 0 and -1 or 0) or a // (1 << b)
  elseif op == "<" then return a < b and 1 or 0
  elseif op == "<=" then return a <= b and 1 or 0
  elseif op == ">" then return a > b and 1 or 0
  elseif op == ">=" then return a >= b and 1 or 0
  elseif op == "==" then return a == b and 1 or 0
  elseif op == "!=" then return a ~= b and 1 or 0
  elseif op == "&" then return a & b
  elseif op == "|" then return a | b
  elseif op == "^" then return a ~ b
  elseif op == "&&" then return (a ~= 0 and b ~= 0) and 1 or 0
  elseif op == "||" then return (a ~= 0 or b ~= 0) and 1 or 0
  end
end

local function clog2(x)
  if x <= 1 then return 0 end
  local n, v = 0, x - 1
  while v > 0 do n, v = n + 1, v >> 1 end
  return n
end

-- A recursive-descent parser that evaluates as it goes; each value is {v, width-or-nil}.
local function evaluate(s, lookup)
  local toks = tokenize(s)
  local pos = 1
  local function peek() return toks[pos] end
  local function take() pos = pos + 1 return toks[pos - 1] end
  local function expect(op)
    local t = take()
    if t[1] ~= "op" or t[2] ~= op then
      error(string.format("expected '%s' in '%s'", op, s), 0)
    end
  end
  local expression

  local function primary()
    local t = take()
    if t[1] == "num" then return t[2], t[3] end
    if t[1] == "id" then
      if t[2] == "true" then return 1 elseif t[2] == "false" then return 0 end
      local v = lookup(t[2])
      if v == nil then error("unknown parameter '" .. t[2] .. "'", 0) end
      return v
    end
    if t[1] == "sys" then
      expect("(")
      local args = {expression()}
      while peek()[1] == "op" and peek()[2] == "," do take() args[#args + 1] = expression() end
      expect(")")
      if t[2] == "pow" and #args == 2 then return apply("**", args[1], args[2]) end
      if t[2] == "clog2" and #args == 1 then return clog2(args[1]) end
      error(string.format("unsupported function $%s/%d in '%s'", t[2], #args, s), 0)
    end
    if t[1] == "op" and t[2] == "(" then
      local v, w = expression()
      expect(")")
      return v, w
    end
    if t[1] == "op" and t[2] == "{" then
      -- {n{a}} replication, or {a, b, ...} concatenation.
      local first, fw = expression()
      if peek()[1] == "op" and peek()[2] == "{" then
        take()
        local v, w = expression()
        expect("}")
        expect("}")
        if not w then error("replication needs a sized operand in '" .. s .. "'", 0) end
        if first < 0 or first * w > 64 then error("replication wider than 64 bits in '" .. s .. "'", 0) end
        local r = 0
        for _ = 1, first do r = (r << w) | v end
        return r, first * w
      end
      local parts = {{first, fw}}
      while peek()[1] == "op" and peek()[2] == "," do
        take()
        parts[#parts + 1] = {expression()}
      end
      expect("}")
      local r, total = 0, 0
      for _, p in ipairs(parts) do
        if not p[2] then error("concatenation needs sized operands in '" .. s .. "'", 0) end
        total = total + p[2]
        if total > 64 then error("concatenation wider than 64 bits in '" .. s .. "'", 0) end
        r = (r << p[2]) | (p[1] & (p[2] == 64 and -1 or (1 << p[2]) - 1))
      end
      return r, total
    end
    if t[1] == "eof" then error("incomplete expression '" .. s .. "'", 0) end
    error(string.format("unexpected '%s' in '%s'", tostring(t[2]), s), 0)
  end

  local function unary()
    local t = peek()
    if t[1] == "op" and (t[2] == "-" or t[2] == "+" or t[2] == "!" or t[2] == "~") then
      take()
      local v, w = unary()
      if t[2] == "-" then return -v end
      if t[2] == "+" then return v, w end
      if t[2] == "!" then return v == 0 and 1 or 0 end
      return w and w < 64 and (~v & ((1 << w) - 1)) or ~v, w
    end
    return primary()
  end

  local function binary(minprec)
    local a, aw = unary()
    while true do
      local t = peek()
      local prec = t[1] == "op" and BINARY[t[2]]
      if not prec or prec < minprec then break end
      take()
      -- `**` binds left to right in SystemVerilog, like the others.
      local b = binary(prec + 1)
      a, aw = apply(t[2], a, b), nil
    end
    return a, aw
  end

  function expression()
    local c, cw = binary(1)
    local t = peek()
    if t[1] == "op" and t[2] == "?" then
      take()
      local a, aw = expression()
      expect(":")
      local b, bw = expression()
      if c ~= 0 then return a, aw else return b, bw end
    end
    return c, cw
  end

  local v = expression()
  if peek()[1] ~= "eof" then
    error(string.format("unexpected '%s' after the expression in '%s'", tostring(peek()[2]), s), 0)
  end
  return v
end

-- The integer value of expression `s`; lookup(id) gives parameter values (nil: unknown).
function M.eval(s, lookup)
  if type(s) ~= "string" or s:match("^%s*$") then error("empty expression", 0) end
  -- Real expressions are short; a huge one is a broken file (and would nest without end).
  if #s > M.MAX_LENGTH then error(string.format("expression longer than %d characters", M.MAX_LENGTH), 0) end
  return evaluate(s, lookup or function() return nil end)
end

M.MAX_LENGTH = 4096

-- IP-XACT 1.4 to 1685-2009 values are "scaled integers": [+-] decimal, 0x/0X/# hex, with an
-- optional K/M/G/T suffix (powers of 1024). Returns the integer, or nil and why.
function M.scaled(s)
  local t = s:gsub("^%s+", ""):gsub("%s+$", "")
  local sign, body = t:match("^([%+%-]?)(.*)$")
  local suffix = body:match("[kKmMgGtT]$")
  if suffix and not body:match("^0[xX]") and not body:match("^#") then body = body:sub(1, -2) end
  if suffix and (body:match("^0[xX]") or body:match("^#")) then
    -- In a hex number the letters are digits, except that a trailing K/M/G/T is not hex.
    if not suffix:match("[a-fA-F]") then body = body:sub(1, -2) else suffix = nil end
  end
  local v
  if body:match("^0[xX]%x+$") then v = math.tointeger(tonumber(body:sub(3), 16))
  elseif body:match("^#%x+$") then v = math.tointeger(tonumber(body:sub(2), 16))
  elseif body:match("^%d+$") and #body <= 19 then v = math.tointeger(tonumber(body))
  end
  if not v then return nil, "'" .. s .. "' is not a number" end
  local scale = ({k = 10, m = 20, g = 30, t = 40})[(suffix or ""):lower()]
  if scale then v = v << scale end
  return sign == "-" and -v or v
end

return M
