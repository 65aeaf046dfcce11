-- persistence_conditions: the things that may or may not keep BAR memory (a rerun, each reset
-- a device offers, a reload of the card), applied to one device, and persistence.lua's
-- --matrix: a fresh record in each BAR before each condition, read back after it, judged
-- kept / zeroed / all 0xFF / changed.
local record = require "persistence_record"
local card_reload = require "card_reload"

local M = {}

-- The reset names of --reset: VFIO_DEVICE_RESET, the kernel's sysfs methods, VFIO's hot reset.
M.RESETS = { "vfio", "flr", "pm", "bus", "hot" }

local SYSFS = { flr = true, pm = true, bus = true }

-- Applies condition `name` to the device at `addr`, which must not be open in this process
-- for "reload" (the unbind would wait for it). Errors say why it could not be applied.
function M.apply(addr, name, opts)
  if name == "rerun" then
    return "another run: the device was closed and is opened again"
  elseif name == "vfio" then
    local dev <close> = vfio.open(addr)
    if not dev.can_reset then
      error("VFIO reports no reset for " .. addr .. " (no FLR, PM or bus reset it can use)", 0)
    end
    dev:reset()
    return "VFIO_DEVICE_RESET"
  elseif name == "hot" then
    local dev <close> = vfio.open(addr)
    dev:hot_reset()
    return "VFIO_DEVICE_PCI_HOT_RESET"
  elseif name == "reload" then
    local r = card_reload.run(addr, opts.reload, { timeout = opts.reload_timeout or 600, wait = 10,
      say = opts.say_steps })
    if r.failure or #r.left > 0 then
      local left = #r.left > 0 and (" (left: " .. table.concat(r.left, "; ") .. ")") or ""
      error("reload: " .. (r.failure or "") .. left, 0)
    end
    return "reloaded by: " .. opts.reload
  elseif SYSFS[name] or pci.reset_methods(addr) then
    local offered = pci.reset_methods(addr) or {}
    local found = false
    for _, m in ipairs(offered) do found = found or m == name end
    if not found then
      error(string.format("%s offers no '%s' reset (the kernel offers: %s)", addr, name,
        #offered > 0 and table.concat(offered, ", ") or "none"), 0)
    end
    pci.reset(addr, { method = name })
    return "sysfs reset, method " .. name
  end
  error("unknown condition '" .. tostring(name) .. "'", 0)
end

-- Every condition the device offers, in order: rerun, vfio, the kernel's methods, hot,
-- reload (when a command is given).
function M.offered(addr, opts)
  local list = { "rerun" }
  local ok, can = pcall(function()
    local dev <close> = vfio.open(addr)
    -- A hot reset needs every device it hits held: offered when this device is all it hits.
    local listed, hits = pcall(dev.hot_reset_info, dev)
    local alone = listed and #hits > 0
    for _, h in ipairs(listed and hits or {}) do alone = alone and h.held end
    return { reset = dev.can_reset, hot = alone }
  end)
  if ok and can.reset then list[#list + 1] = "vfio" end
  for _, m in ipairs(pci.reset_methods(addr) or {}) do list[#list + 1] = m end
  if ok and can.hot then list[#list + 1] = "hot" end
  if opts.reload then list[#list + 1] = "reload" end
  return list
end

-- What a BAR holds after a condition, against the record written before it.
function M.judge(bar, written)
  local now = bar:read(0, record.SIZE)
  if now == written then return "kept" end
  local size = bar.size
  if bar:count(0) == size then return "zeroed" end
  if bar:count(0xff) == size then return "all 0xFF" end
  return "changed"
end

-- A record unique to this condition: the seed's layout, so fpga_sio's C program reads it too.
local function fresh_record(index, now_text, condition, n)
  local init = record.PREFIXES[index] .. now_text:gsub("\n$", "")
  return record.field(init, record.INITIALISED_LEN) .. record.field("matrix: " .. condition, record.LAST_ACCESSED_LEN)
    .. string.pack("<I4", n)
end

-- The BARs to write: mmap-able memory regions of at least a record, as VFIO gives them.
local function slots(addr, wanted)
  local dev <close> = vfio.open(addr)
  local list = {}
  local bars = (dev.info and dev.info.bars) or {}
  for _, r in ipairs(dev:regions()) do
    if r.index <= 5 and r.size >= record.SIZE and r.mmap and not (bars[r.index] or {}).io and wanted(r.index) then
      list[#list + 1] = { index = r.index, size = r.size }
    end
  end
  return list
end

-- The matrix of one device. Returns {addr=, bars={index,...}, rows={{condition=, how=,
-- bars={[index]=verdict}, error=}, ...}}; `say` prints progress lines.
function M.matrix(addr, opts, now_text, wanted, say)
  local result = { addr = addr, rows = {}, bars = {} }
  local list = slots(addr, wanted)
  for _, s in ipairs(list) do result.bars[#result.bars + 1] = s.index end
  for n, condition in ipairs(M.offered(addr, opts)) do
    local row = { condition = condition, bars = {} }
    result.rows[#result.rows + 1] = row
    local written = {}
    local ok, err = pcall(function()
      do
        local dev <close> = vfio.open(addr)
        for _, s in ipairs(list) do
          local bar <close> = dev:map(s.index)
          local rec = fresh_record(s.index, now_text, condition, n)
          bar:write(0, rec)
          if bar:read(0, record.SIZE) == rec then written[s.index] = rec else row.bars[s.index] = "not memory" end
        end
      end
      row.how = M.apply(addr, condition, opts)
      local dev <close> = vfio.open(addr)
      local regions = {}
      for _, r in ipairs(dev:regions()) do regions[r.index] = r end
      for _, s in ipairs(list) do
        if written[s.index] then
          local r = regions[s.index]
          if not r or r.size == 0 then
            row.bars[s.index] = "gone"
          elseif r.size ~= s.size then
            row.bars[s.index] = string.format("changed (size %d)", r.size)
          else
            local bar <close> = dev:map(s.index)
            row.bars[s.index] = M.judge(bar, written[s.index])
          end
        end
      end
    end)
    if not ok then
      row.error = card_reload.message(err)
      for _, s in ipairs(list) do row.bars[s.index] = row.bars[s.index] or "error" end
    end
    say(string.format("  %s: %s", condition, row.error and ("error: " .. row.error) or row.how))
  end
  return result
end

-- The table: condition -> verdict per BAR.
function M.table(result)
  local head = { string.format("%-10s", "condition") }
  for _, i in ipairs(result.bars) do head[#head + 1] = string.format("%-18s", "BAR" .. i) end
  local lines = { (table.concat(head, " "):gsub("%s+$", "")) }
  for _, row in ipairs(result.rows) do
    local cells = { string.format("%-10s", row.condition) }
    for _, i in ipairs(result.bars) do cells[#cells + 1] = string.format("%-18s", row.bars[i] or "-") end
    lines[#lines + 1] = (table.concat(cells, " "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
