-- A grouped horizontal bar chart as a standalone SVG document, with no plotting dependency.
--
--   local chart = require "svg_bar_chart"
--   local svg = chart.render{
--     title = "...", subtitle = "...", axis = "MB/s (mean; whiskers: min-max)",
--     scale = "log" | "linear",
--     series = {{name = "vfio", label = "VFIO uncached"}, ...},   -- one colour each
--     groups = {{label = "read32 card-to-host", bars = {           -- one row group each
--       {series = "vfio", value = 1.2, min = 1.1, max = 1.3, bad = false, note = nil}, ...}}},
--   }
--
-- Each bar is one <rect class="bar"> with data-series / data-group / data-value attributes so
-- that tests (and people reading the source) can find every measurement. A bar with
-- `bad = true` (e.g. data corruption) is drawn hatched red and labelled with its note.
local M = {}

-- Colour-blind-safe palette (Okabe-Ito), in the order series are given.
local palette = {
  "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
}

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", {
    ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
  }))
end

-- Short, readable numbers for labels: 3 significant digits.
local function fmt(v)
  if v >= 100 then return string.format("%.0f", v) end
  if v >= 10 then return string.format("%.1f", v) end
  if v >= 1 then return string.format("%.2f", v) end
  return string.format("%.3g", v)
end
M.format = fmt

-- Tick labels: whole numbers without decimals (1, 10, 100), else as above.
local function tick(v)
  if v >= 1 and v == math.floor(v) then return string.format("%d", math.floor(v)) end
  return fmt(v)
end

-- The axis: maps a value to an x offset in [0, width], plus the tick values to draw.
local function make_axis(scale, lo, hi, width)
  if scale == "log" then
    local a = math.floor(math.log(lo, 10))
    local b = math.ceil(math.log(hi, 10))
    if b <= a then b = a + 1 end
    local ticks = {}
    for e = a, b do ticks[#ticks + 1] = 10.0 ^ e end
    local function x(v)
      if v <= 0 then return 0 end
      local p = (math.log(v, 10) - a) / (b - a)
      return math.max(0, math.min(width, p * width))
    end
    return x, ticks
  end
  -- Linear: a "nice" step of 1, 2 or 5 times a power of ten, about 5 ticks.
  local raw = hi / 5
  local mag = 10.0 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    if raw <= m * mag then step = m * mag; break end
  end
  local top = math.ceil(hi / step) * step
  local ticks = {}
  for v = 0, top + step / 2, step do ticks[#ticks + 1] = v end
  return function(v) return math.max(0, math.min(width, v / top * width)) end, ticks
end

-- Renders the chart; returns the SVG text.
function M.render(spec)
  local groups = spec.groups
  local series = {}
  for i, s in ipairs(spec.series) do series[i] = s end
  local colour = {}
  for i, s in ipairs(series) do colour[s.name] = palette[(i - 1) % #palette + 1] end

  -- A bar drawn hatched needs its own legend entry.
  local any_bad = false
  for _, g in ipairs(groups) do
    for _, b in ipairs(g.bars) do any_bad = any_bad or b.bad end
  end
  if any_bad then
    series[#series + 1] = { name = "(bad)", label = "data corrupted: the speed does not count" }
    colour["(bad)"] = "url(#corrupt)"
  end

  -- Value range over every drawable bar (and whisker).
  local lo, hi = math.huge, 0
  for _, g in ipairs(groups) do
    for _, b in ipairs(g.bars) do
      for _, v in ipairs({ b.value, b.min or b.value, b.max or b.value }) do
        if v and v > 0 then lo = math.min(lo, v); hi = math.max(hi, v) end
      end
    end
  end
  if hi == 0 then lo, hi = 1, 10 end
  local scale = spec.scale or "linear"

  -- Layout, in pixels.
  local label_w, plot_w, value_w = 190, 560, 70
  local bar_h, bar_gap, group_gap = 14, 2, 14
  local top = 70
  local legend_h = 22 * math.ceil(#series / 2) + 10
  local rows_h = 0
  for _, g in ipairs(groups) do rows_h = rows_h + #g.bars * (bar_h + bar_gap) + group_gap end
  local width = label_w + plot_w + value_w + 20
  local height = top + rows_h + 50 + legend_h
  local x0 = label_w
  local x, ticks = make_axis(scale, lo, hi, plot_w)

  local out = {}
  local function add(...) out[#out + 1] = table.concat({ ... }) end
  add('<?xml version="1.0" encoding="UTF-8"?>\n')
  add('<svg xmlns="http://www.w3.org/2000/svg" width="', width, '" height="', height,
    '" viewBox="0 0 ', width, " ", height, '" font-family="DejaVu Sans, Arial, sans-serif">\n')
  add('<defs><pattern id="corrupt" width="6" height="6" patternUnits="userSpaceOnUse" ',
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffdddd"/>',
    '<rect width="3" height="6" fill="#d00000"/></pattern></defs>\n')
  add('<rect width="100%" height="100%" fill="white"/>\n')
  add('<text class="title" x="', width / 2, '" y="24" text-anchor="middle" font-size="17" ',
    'font-weight="bold">', esc(spec.title or ""), "</text>\n")
  if spec.subtitle then
    add('<text x="', width / 2, '" y="44" text-anchor="middle" font-size="12" fill="#444">',
      esc(spec.subtitle), "</text>\n")
  end

  -- Grid lines and tick labels.
  local plot_bottom = top + rows_h
  for _, t in ipairs(ticks) do
    local tx = x0 + x(t)
    add('<line x1="', tx, '" y1="', top - 6, '" x2="', tx, '" y2="', plot_bottom,
      '" stroke="#ddd" stroke-width="1"/>\n')
    add('<text x="', tx, '" y="', plot_bottom + 16, '" text-anchor="middle" font-size="11">',
      esc(tick(t)), "</text>\n")
  end
  add('<line x1="', x0, '" y1="', top - 6, '" x2="', x0, '" y2="', plot_bottom,
    '" stroke="#333" stroke-width="1"/>\n')
  add('<text class="axis-label" x="', x0 + plot_w / 2, '" y="', plot_bottom + 36,
    '" text-anchor="middle" font-size="12">', esc((spec.axis or "value")
      .. (scale == "log" and " - log scale" or "")), "</text>\n")

  -- The groups: a label, then one bar per measurement.
  local y = top
  for gi, g in ipairs(groups) do
    local gh = #g.bars * (bar_h + bar_gap)
    if gi % 2 == 0 then
      add('<rect x="0" y="', y - group_gap / 2, '" width="', width, '" height="',
        gh + group_gap, '" fill="#f6f6f6"/>\n')
    end
    add('<text class="group-label" x="', x0 - 8, '" y="', y + gh / 2 + 4,
      '" text-anchor="end" font-size="12" font-weight="bold">', esc(g.label), "</text>\n")
    for _, b in ipairs(g.bars) do
      local v = b.value or 0
      local w = x(v)
      local fill = b.bad and "url(#corrupt)" or colour[b.series] or "#888"
      add('<rect class="bar" data-series="', esc(b.series), '" data-group="', esc(g.label),
        '" data-value="', string.format("%.6g", v), '" x="', x0, '" y="', y, '" width="',
        string.format("%.1f", math.max(w, 1)), '" height="', bar_h, '" fill="', fill,
        '"><title>', esc(b.series .. ", " .. g.label .. ": " .. fmt(v)), "</title></rect>\n")
      if b.min and b.max then
        local a, c, my = x0 + x(b.min), x0 + x(b.max), y + bar_h / 2
        add('<path d="M', string.format("%.1f", a), " ", my, " H", string.format("%.1f", c),
          " M", string.format("%.1f", a), " ", my - 4, " V", my + 4, " M",
          string.format("%.1f", c), " ", my - 4, " V", my + 4,
          '" stroke="#222" stroke-width="1" fill="none"/>\n')
      end
      local label = fmt(v) .. (b.note and ("  " .. b.note) or "")
      add('<text x="', string.format("%.1f", x0 + math.max(w, x(b.max or 0)) + 5), '" y="',
        y + bar_h - 3, '" font-size="11"', b.bad and ' fill="#d00000" font-weight="bold"' or "",
        ">", esc(label), "</text>\n")
      y = y + bar_h + bar_gap
    end
    y = y + group_gap
  end

  -- Legend, two entries per line (labels carry the PAT type, so they are long).
  local ly = plot_bottom + 56
  for i, s in ipairs(series) do
    local col = (i - 1) % 2
    local lx = 20 + col * ((width - 40) / 2)
    local row_y = ly + math.floor((i - 1) / 2) * 22
    add('<rect class="legend" x="', lx, '" y="', row_y, '" width="14" height="14" fill="',
      colour[s.name], '"/>\n')
    add('<text x="', lx + 20, '" y="', row_y + 12, '" font-size="12">', esc(s.label or s.name),
      "</text>\n")
  end
  add("</svg>\n")
  return table.concat(out)
end

return M
