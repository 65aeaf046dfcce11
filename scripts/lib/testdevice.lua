-- The device a test script in scripts/tests runs against: the one named by --device ADDR, else
-- by an environment variable (BARLUA_EDU, ...). When neither names one the whole script is
-- skipped (TAP "1..0 # SKIP"): a test never picks a device by itself, so it never writes to a
-- device nobody named.
--
--   local t = require "barlua.test"
--   local dev, edu = require("testdevice").open(t, {env = "BARLUA_EDU", map = require "devices.edu"}, ...)
local argparse = require "argparse"
local regs = require "barlua.regs"

local M = {}

-- open(t, {env =, map =}, ...) -> vfio device, the map bound to its BAR (map.bar), that bar.
-- `...` are the script's arguments. Errors (bad arguments, a device that does not open or is
-- not the kind the map describes) end the script as a failed test with the reason.
function M.open(t, opts, ...)
  local map = opts.map
  local script = arg and arg[0] or "test"
  local parser = argparse(script:match("[^/]*$"), string.format(
    "Test a %s device (%04x:%04x) through VFIO; without --device, $%s names it.", map.name,
    map.vendor, map.device, opts.env))
  parser:option("--device", "PCI address of the device, e.g. 0000:00:03.0")
  local ok, args = parser:pparse({...})
  if not ok then error(args .. "\n" .. parser:get_usage(), 0) end
  local addr = args.device or os.getenv(opts.env)
  if addr == nil or addr == "" then
    t.skip(string.format("no %s device: set %s or pass --device", map.name, opts.env))
  end
  local dev = vfio.open(addr)
  if dev.info.vendor ~= map.vendor or dev.info.device ~= map.device then
    local found = string.format("%04x:%04x", dev.info.vendor, dev.info.device)
    dev:close()
    error(string.format("%s is %s, not %s (%04x:%04x): check --device or %s", addr, found, map.name,
      map.vendor, map.device, opts.env), 0)
  end
  local bar = dev:map(map.bar)
  return dev, regs.bind(bar, map), bar
end

return M
