#!/usr/bin/env barlua
-- Runs every Lua example of the documentation, so the docs cannot drift from the code.
-- A fenced block whose info string is `lua` runs anywhere (the host tests run it); `lua device`
-- runs in the test bed guest, where BARLUA_EDU & co. name real vfio-pci devices
-- (Tests/guest/90-doc-examples.lua). Each block runs as its own script in a fresh barlua from
-- the repository root; it passes when it exits 0. Any other `lua ...` info string is an error:
-- there is no "do not run" marker.
--   barlua Tests/docs/examples.lua [--device]
local t = require "barlua.test"
local device = arg[1] == "--device"
if device and os.getenv("BARLUA_GUEST") ~= "1" then t.skip("--device needs the test bed guest") end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- The documents: README.md, everything under docs/, and the other READMEs.
local docs = {"README.md", "scripts/testbed/README.md", "scripts/lib/README.md"}
local p = io.popen("find docs contrib -name '*.md' 2>/dev/null | LC_ALL=C sort")
for path in p:lines() do docs[#docs + 1] = path end
p:close()

local blocks = {}
for _, path in ipairs(docs) do
  local f = io.open(path, "rb")
  if f then
    f:close()
    local n, inside, info, start, body = 0, false, nil, nil, nil
    for line in (read(path) .. "\n"):gmatch("([^\n]*)\n") do
      n = n + 1
      if not inside then
        local fence = line:match("^```(.*)$")
        if fence then inside, info, start, body = true, fence, n, {} end
      elseif line:match("^```%s*$") then
        inside = false
        if info:match("^lua") then
          blocks[#blocks + 1] = {path = path, line = start, info = info, code = table.concat(body, "\n")}
        end
      else
        body[#body + 1] = line
      end
    end
    t.ok(not inside, path .. ": every code fence is closed")
  end
end

-- The barlua running this script runs the examples (arg[-1]: the interpreter, as in lua).
local barlua = string.format("'%s'", (arg[-1] or "barlua"):gsub("'", "'\\''"))
local ran = 0
for _, b in ipairs(blocks) do
  local name = string.format("%s:%d", b.path, b.line)
  if b.info ~= "lua" and b.info ~= "lua device" then
    t.ok(false, name .. ": unknown example kind '" .. b.info .. "' (use ```lua or ```lua device)")
  elseif (b.info == "lua device") == device then
    local file = os.tmpname()
    local f = assert(io.open(file, "wb"))
    assert(f:write(b.code, "\n"))
    assert(f:close())
    local out = io.popen(string.format("%s %s 2>&1; echo \"exit=$?\"", barlua, file))
    local got = out:read("a")
    out:close()
    os.remove(file)
    local status = got:match("exit=(%d+)\n$")
    t.is(status, "0", name .. " runs" .. (status == "0" and "" or (":\n" .. got)))
    ran = ran + 1
  end
end
t.ok(ran > 0, "at least one " .. (device and "device " or "") .. "example found")
t.done()
