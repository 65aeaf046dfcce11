-- The guest tests' view of scripts/testbed/kernels.tsv, the bed's one kernel table: what the
-- running guest kernel (BARLUA_GUEST_KERNEL, the resolved series) is known to do.
local M = {}

local COLUMNS = { "series", "suite", "package", "release", "pattern", "quirks", "noiommu" }

-- The row of SERIES as a table keyed by column name, or nil when the table has none.
function M.row(series)
  for line in io.lines("scripts/testbed/kernels.tsv") do
    if line:sub(1, 1) ~= "#" and line:find("%S") then
      local row, i = {}, 0
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do
        i = i + 1
        if COLUMNS[i] then row[COLUMNS[i]] = field end
      end
      if row.series == series then return row end
    end
  end
  return nil
end

-- The PAT pattern (scripts/lib/pattrace.lua's name) VFIO mappings show on SERIES, or nil.
function M.pattern(series)
  local row = M.row(series)
  return row and row.pattern
end

-- Whether SERIES has the quirk NAME (column quirks).
function M.quirk(series, name)
  local row = M.row(series)
  if not row then return false end
  for q in row.quirks:gmatch("[^,%s]+") do
    if q == name then return true end
  end
  return false
end

return M
