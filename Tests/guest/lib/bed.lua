-- What several guest tests do in the bed: run a command and read its output, lspci of one
-- device, persistence.lua with its verdict table, AER errors injected and waited for. A
-- module, not a test: the suite runs `prove Tests/guest` without -r, so lib/ is never run as
-- a test (Tests/guest/backports/ finds it as ../lib: barlua's module search, docs/scripts.md).
local M = {}

-- The standard output of a shell command.
function M.run(command)
  local p = assert(io.popen(command))
  local out = p:read("a")
  p:close()
  return out
end

-- lspci -vvv of one device; the sysfs address is checked before it goes into a command line.
-- lspci's complaints (no libkmod in the guest) go to stderr, which is left out: merged, they
-- once landed inside a line.
function M.lspci(addr)
  assert(addr:match("^%x%x%x%x:%x%x:%x%x%.%x$"), "not a PCI address: " .. addr)
  return M.run("lspci -vvv -s " .. addr .. " 2>/dev/null")
end

-- scripts/persistence.lua ARGS, its output kept in $BARLUA_OUT/LOG: exit code, output.
function M.persistence(args, log)
  local path = (os.getenv("BARLUA_OUT") or "/tmp") .. "/" .. log
  local _, _, code = os.execute("barlua scripts/persistence.lua " .. args .. " >" .. path .. " 2>&1")
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return code, text
end

-- The row of a condition in persistence.lua's --matrix table: its verdicts, in BAR order.
function M.matrix_row(text, condition)
  local line = text:match("\n" .. condition:gsub("%p", "%%%0") .. " +([^\n]*)")
  return line and (line:gsub("%s+", " ")) or nil
end

-- An AER error injected through the bed's QEMU monitor into the device of QEMU id `id`
-- (`testbed-hotplug aer ID ARGS`). QEMU 7.2's HMP answers a successful injection with
-- "OK id: ID ..."; the relay (as of this writing) passes any answer back as an error, exit
-- status 1: QEMU's own OK is accepted.
function M.inject_aer(id, args)
  local out = M.run("testbed-hotplug aer " .. id .. " " .. args .. " 2>&1; echo exit=$?")
  assert(out:find("exit=0\n$") or out:find("OK id: " .. id .. " ", 1, true),
    "testbed-hotplug aer " .. id .. " " .. args .. ": " .. out)
end

-- Waits (at most ~5 s, every 0.1 s) for pred() to hold, and returns whether it does: the
-- kernel counts an AER error only when its message has reached the root port.
function M.settle(pred)
  for _ = 1, 50 do
    if pred() then return true end
    time.sleep(0.1)
  end
  return pred()
end

return M
