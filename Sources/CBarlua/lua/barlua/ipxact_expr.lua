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
-- Functions: `$pow(a, b)`, `$clog2(x)`. Concatenation `{a, b}` and replication `{n{a, b}}` need
-- operands of known width: sized literals, or concatenations of them; at most 64 bits.
--
-- Values are 64-bit two's complement, signed or unsigned as SystemVerilog says (IEEE 1800
-- 11.8.1): based literals without `s` (`'hFF`), concatenations and comparison results are
-- unsigned, decimals and parameters signed; an operation is unsigned when an operand is. That
-- decides `/`, `%`, `<` ... and `>>>`. Shifts (11.4.10): the count is unsigned, so a negative
-- count, like one of 64 or more, shifts every bit out (`8 << -1` is 0); `>>>` of a signed value
-- fills with its sign (`-1 >>> 63` is -1, `5 >>> 63` is 0), of an unsigned one with zeros.
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
      local size, sign, base, digits, stop = s:match("^(%d*)%s*'([sS]?)([hHdDbBoO])%s*([%w_]+)()", i)
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
        local width = size ~= "" and math.tointeger(tonumber(size)) or nil
        if size ~= "" then
          if not width or width < 1 or width > 64 then
            error(string.format("literal size %s in '%s' is not 1 to 64 bits", size, s), 0)
          end
          if width < 64 then
            v = v & ((1 << width) - 1)
            -- A signed sized literal is its bits in two's complement: 4'sb1111 is -1.
            if sign ~= "" and (v >> (width - 1)) & 1 == 1 then v = v - (1 << width) end
          end
        end
        -- Based literals are unsigned unless marked 's' (IEEE 1800 5.7.1).
        toks[#toks + 1] = {"num", v, width, sign == ""}
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

-- Unsigned 64-bit division and remainder (Lua's // and % are signed), for unsigned operands.
local function udivmod(n, d)
  if d < 0 then
    if math.ult(n, d) then return 0, n end
    return 1, n - d
  end
  local q = ((n >> 1) // d) << 1
  local r = n - q * d
  if not math.ult(r, d) then q, r = q + 1, r - d end
  return q, r
end

-- Shifts as SystemVerilog defines them (IEEE 1800 11.4.10, which IEEE 1685 uses): the right
-- operand is always unsigned, so a negative count is a count of 2^64 - |b|, beyond 63; a count
-- of 64 or more shifts every bit out. << and <<< fill with zeros; >> fills with zeros; >>>
-- fills with the sign bit when the left operand is signed, with zeros when it is unsigned.
local function shift(op, a, b, unsigned)
  local out = b < 0 or b > 63
  if op == "<<" or op == "<<<" then return out and 0 or a << b end
  if op == ">>" or unsigned then return out and 0 or a >> b end
  -- >>> of a signed value: Lua's >> is logical, so the sign bits are put back.
  if out then return a < 0 and -1 or 0 end
  if a >= 0 or b == 0 then return a >> b end
  return (a >> b) | ~(-1 >> b)
end

-- `a op b`; `unsigned`: the operation is unsigned (an operand is unsigned, SystemVerilog's rule
-- for the context), which changes /, %, the comparisons and >>> (of the left operand's sign).
local function apply(op, a, b, unsigned, left_unsigned)
  if op == "+" then return a + b
  elseif op == "-" then return a - b
  elseif op == "*" then return a * b
  elseif op == "/" or op == "%" then
    if b == 0 then error("division by zero", 0) end
    if unsigned then
      local q, r = udivmod(a, b)
      return op == "/" and q or r
    end
    -- SystemVerilog divides toward zero (Lua's // floors); mininteger / -1 wraps as in C.
    if b == -1 then return op == "/" and -a or 0 end
    local q = a // b
    if q < 0 and q * b ~= a then q = q + 1 end
    if op == "/" then return q end
    return a - q * b
  elseif op == "**" then return ipow(a, b)
  elseif op == "<<" or op == "<<<" or op == ">>" or op == ">>>" then return shift(op, a, b, left_unsigned)
  elseif op == "<" then return (unsigned and math.ult(a, b) or not unsigned and a < b) and 1 or 0
  elseif op == "<=" then return (unsigned and not math.ult(b, a) or not unsigned and a <= b) and 1 or 0
  elseif op == ">" then return (unsigned and math.ult(b, a) or not unsigned and a > b) and 1 or 0
  elseif op == ">=" then return (unsigned and not math.ult(a, b) or not unsigned and a >= b) and 1 or 0
  elseif op == "==" then return a == b and 1 or 0
  elseif op == "!=" then return a ~= b and 1 or 0
  elseif op == "&" then return a & b
  elseif op == "|" then return a | b
  elseif op == "^" then return a ~ b
  elseif op == "&&" then return (a ~= 0 and b ~= 0) and 1 or 0
  elseif op == "||" then return (a ~= 0 or b ~= 0) and 1 or 0
  end
end

-- The signedness of `a op b` (true: unsigned): comparisons and logical operators give an
-- unsigned 1-bit value; shifts and ** keep their left operand's; the others are unsigned when
-- either operand is.
local function result_unsigned(op, au, bu)
  if op == "<" or op == "<=" or op == ">" or op == ">=" or op == "==" or op == "!=" or op == "&&"
    or op == "||" then
    return true
  end
  if op == "<<" or op == "<<<" or op == ">>" or op == ">>>" or op == "**" then return au end
  return au or bu
end

-- $clog2 of the value as unsigned (IEEE 1800 20.8.1): 0 for 0 and 1.
local function clog2(x)
  if x == 0 or x == 1 then return 0 end
  local n, v = 0, x - 1
  while v ~= 0 do n, v = n + 1, v >> 1 end
  return n
end

-- Nesting deeper than this (parentheses, unary operators, concatenations) is refused: real
-- expressions nest a few levels; the limit keeps the recursion of the parser bounded.
M.MAX_NESTING = 200

-- A recursive-descent parser that evaluates as it goes; each value is v, width (nil: unsized),
-- unsigned (true/nil). Widths matter only to concatenation and replication; a width of 0 (a
-- replication {0{x}}) is allowed only as an operand of a concatenation (IEEE 1800 11.4.12.1).
local function evaluate(s, lookup)
  local toks = tokenize(s)
  local pos = 1
  local depth = 0
  local function peek() return toks[pos] end
  local function take() pos = pos + 1 return toks[pos - 1] end
  local function expect(op)
    local t = take()
    if t[1] ~= "op" or t[2] ~= op then
      error(string.format("expected '%s' in '%s'", op, s), 0)
    end
  end
  local function deeper()
    depth = depth + 1
    if depth > M.MAX_NESTING then
      error(string.format("expression nested deeper than %d levels", M.MAX_NESTING), 0)
    end
  end
  local expression

  -- The rest of a concatenation's operand list, "a, b, c}", its first operand already read:
  -- the bits joined and their width (0 when every operand is a {0{...}}).
  local function operands(what, first, first_width)
    local parts = {{first, first_width}}
    while peek()[1] == "op" and peek()[2] == "," do
      take()
      parts[#parts + 1] = {expression(true)}
    end
    expect("}")
    local r, total = 0, 0
    for _, p in ipairs(parts) do
      if not p[2] then error(what .. " needs sized operands in '" .. s .. "'", 0) end
      total = total + p[2]
      if total > 64 then error(what .. " wider than 64 bits in '" .. s .. "'", 0) end
      if p[2] > 0 then r = (r << p[2]) | (p[1] & (p[2] == 64 and -1 or (1 << p[2]) - 1)) end
    end
    return r, total
  end

  -- {n{a, b, ...}} (the first '{' and n already read): n copies of the operands.
  local function replication(count, count_width)
    take()
    local v, w = operands("replication", expression(true))
    expect("}")
    if w == 0 then error("replication of a zero-width operand in '" .. s .. "'", 0) end
    if count_width == 0 then error("replication count has no bits in '" .. s .. "'", 0) end
    -- Compared without multiplying: count * w wraps for a count near 2^62.
    if count < 0 or count > 64 // w then error("replication wider than 64 bits in '" .. s .. "'", 0) end
    local r = 0
    for _ = 1, count do r = (r << w) | v end
    return r, count * w, true
  end

  local function primary()
    local t = take()
    if t[1] == "num" then return t[2], t[3], t[4] end
    if t[1] == "id" then
      if t[2] == "true" then return 1 elseif t[2] == "false" then return 0 end
      local v = lookup(t[2])
      if v == nil then error("unknown parameter '" .. t[2] .. "'", 0) end
      return v
    end
    if t[1] == "sys" then
      expect("(")
      local args = {(expression())}
      while peek()[1] == "op" and peek()[2] == "," do take() args[#args + 1] = (expression()) end
      expect(")")
      if t[2] == "pow" and #args == 2 then return apply("**", args[1], args[2]) end
      if t[2] == "clog2" and #args == 1 then return clog2(args[1]) end
      error(string.format("unsupported function $%s/%d in '%s'", t[2], #args, s), 0)
    end
    if t[1] == "op" and t[2] == "(" then
      local v, w, u = expression()
      expect(")")
      return v, w, u
    end
    if t[1] == "op" and t[2] == "{" then
      -- {n{a}} replication, or {a, b, ...} concatenation (always unsigned).
      local first, fw = expression(true)
      if peek()[1] == "op" and peek()[2] == "{" then return replication(first, fw) end
      local r, total = operands("concatenation", first, fw)
      if total == 0 then error("concatenation of zero-width operands only in '" .. s .. "'", 0) end
      return r, total, true
    end
    if t[1] == "eof" then error("incomplete expression '" .. s .. "'", 0) end
    error(string.format("unexpected '%s' in '%s'", tostring(t[2]), s), 0)
  end

  local function unary()
    local t = peek()
    if t[1] == "op" and (t[2] == "-" or t[2] == "+" or t[2] == "!" or t[2] == "~") then
      take()
      deeper()
      local v, w, u = unary()
      depth = depth - 1
      if t[2] == "-" then return -v, nil, u end
      if t[2] == "+" then return v, w, u end
      if t[2] == "!" then return v == 0 and 1 or 0, nil, true end
      return w and w < 64 and (~v & ((1 << w) - 1)) or ~v, w, u
    end
    return primary()
  end

  local function binary(minprec)
    local a, aw, au = unary()
    while true do
      local t = peek()
      local prec = t[1] == "op" and BINARY[t[2]]
      if not prec or prec < minprec then break end
      take()
      -- `**` binds left to right in SystemVerilog, like the others.
      local b, _, bu = binary(prec + 1)
      a, aw, au = apply(t[2], a, b, au or bu, au), nil, result_unsigned(t[2], au, bu)
    end
    return a, aw, au
  end

  -- `in_concatenation`: the value may have width 0 (a {0{x}} inside {..., ...}).
  function expression(in_concatenation)
    deeper()
    local c, cw, cu = binary(1)
    local t = peek()
    if t[1] == "op" and t[2] == "?" then
      take()
      local a, aw, au = expression()
      expect(":")
      local b, bw, bu = expression()
      if c ~= 0 then c, cw, cu = a, aw, au or bu else c, cw, cu = b, bw, au or bu end
    end
    if cw == 0 and not in_concatenation then
      error("a zero-width replication {0{...}} outside a concatenation in '" .. s .. "'", 0)
    end
    depth = depth - 1
    return c, cw, cu
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
  local digits = body:match("^0[xX](%x+)$") or body:match("^#(%x+)$")
  if digits then
    -- Lua reads hex integers modulo 2^64: more than 16 digits, or the top bit, is too large.
    v = math.tointeger(tonumber(digits, 16))
    if #digits:gsub("^0+", "") > 16 or (v and v < 0) then return nil, "'" .. s .. "' is beyond 2^63 - 1" end
  elseif body:match("^%d+$") then
    v = math.tointeger(tonumber(body))
    if not v or #body:gsub("^0+", "") > 19 then return nil, "'" .. s .. "' is beyond 2^63 - 1" end
  end
  if not v then return nil, "'" .. s .. "' is not a number" end
  local scale = ({k = 10, m = 20, g = 30, t = 40})[(suffix or ""):lower()]
  -- Checked: 16777216T is 2^64, which << would wrap to 0.
  if scale then
    if v > math.maxinteger >> scale then return nil, "'" .. s .. "' is beyond 2^63 - 1" end
    v = v << scale
  end
  return sign == "-" and -v or v
end

return M
