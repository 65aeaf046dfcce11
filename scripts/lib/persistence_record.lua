-- The persistence record: the 164-byte structure memmapped_persistence_vfio (fpga_sio) keeps
-- at the start of every BAR, and the decisions taken on it. Kept apart from the CLI so tests
-- can check the layout and the report lines without a device.
--
-- C layout (x86-64, little-endian, no padding):
--   char initialised_text[120]; char last_accessed_text[40]; uint32_t accessed_count;

local out = require "script_output"

local M = {}

M.INITIALISED_LEN = 120
M.LAST_ACCESSED_LEN = 40
M.COUNT_OFFSET = M.INITIALISED_LEN + M.LAST_ACCESSED_LEN
M.SIZE = M.COUNT_OFFSET + 4
M.FORMAT = "<c120c40I4"

-- The prefixes the C program uses to recognise a BAR it initialised, one per BAR number.
M.PREFIXES = {
  [0] = "This is BAR zero memory initialised at ",
  [1] = "This is BAR one memory initialised at ",
  [2] = "This is BAR two memory initialised at ",
  [3] = "This is BAR three memory initialised at ",
  [4] = "This is BAR four memory initialised at ",
  [5] = "This is BAR five memory initialised at ",
}

local DAYS = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
local MONTHS = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
}

-- ctime(3) of `t` (seconds since the epoch, local time), trailing newline included as ctime
-- gives it: "Thu Nov  6 08:38:52 2026\n". Built by hand because ctime's names are always
-- English, whatever locale os.date would use.
function M.ctime(t)
  local d = os.date("*t", t)
  return string.format("%s %s%3d %02d:%02d:%02d %d\n", DAYS[d.wday], MONTHS[d.month], d.day,
    d.hour, d.min, d.sec, d.year)
end

-- The C string in a fixed field: the bytes before the first NUL (all of it when none, as
-- printf's "%.*s" does).
function M.cstring(field)
  local nul = field:find("\0", 1, true)
  return nul and field:sub(1, nul - 1) or field
end

-- A fixed field holding `text` NUL-terminated: truncated as snprintf truncates, the rest zeros.
function M.field(text, len)
  text = text:sub(1, len - 1)
  return text .. string.rep("\0", len - #text)
end

-- Decodes the first M.SIZE bytes of `bytes`.
function M.decode(bytes)
  assert(#bytes >= M.SIZE, "persistence_record.decode: need " .. M.SIZE .. " bytes, got " .. #bytes)
  local init, last, count = string.unpack(M.FORMAT, bytes)
  return {
    initialised_raw = init,
    initialised_text = M.cstring(init),
    last_accessed_text = M.cstring(last),
    accessed_count = count,
  }
end

-- Encodes a record table (initialised_text, last_accessed_text, accessed_count) to 164 bytes.
function M.encode(r)
  return string.pack(M.FORMAT, r.initialised_raw or M.field(r.initialised_text, M.INITIALISED_LEN),
    M.field(r.last_accessed_text, M.LAST_ACCESSED_LEN), r.accessed_count & 0xffffffff)
end

-- True when the record was written by this experiment for BAR `index` (the C program's
-- strncmp on the prefix).
function M.is_initialised(record, index)
  local prefix = assert(M.PREFIXES[index], "persistence_record: BAR index must be 0..5")
  return record.initialised_raw:sub(1, #prefix) == prefix
end

-- What the bytes of an uninitialised BAR say, from its whole-BAR counts:
-- "zeros" (all 0x00), "not_responding" (all 0xFF: the device fell off the bus) or "mixed".
function M.survey(size, zeros, ffs)
  if zeros == size then return "zeros" end
  if ffs == size then return "not_responding" end
  return "mixed"
end

-- The record after this run's access: an initialised record keeps its text and counts one
-- more access (uint32 wrap as in C); otherwise a new one starts at count 1 (the C program sets
-- 0 then increments).
function M.next_record(old, index, now_text)
  if old and M.is_initialised(old, index) then
    return {
      initialised_raw = old.initialised_raw,
      initialised_text = old.initialised_text,
      last_accessed_text = now_text,
      accessed_count = (old.accessed_count + 1) & 0xffffffff,
    }
  end
  return {
    initialised_text = M.PREFIXES[index] .. now_text,
    last_accessed_text = now_text,
    accessed_count = 1,
  }
end

-- Report lines, worded as the C program prints them. Texts from ctime end in "\n"; one that
-- does not (another writer) gets one, so the next line still starts on its own line. The text
-- is device memory: every other control byte is shown escaped (script_output.text), so what
-- a BAR holds cannot reach the terminal as an escape sequence.
local function line_text(s)
  if s:sub(-1) == "\n" then s = s:sub(1, -2) end
  return out.text(s) .. "\n"
end

function M.now_line(now_text)
  return "Now: " .. now_text .. "\n"
end

function M.device_line(addr, group)
  return string.format("Testing device %s in IOMMU group %s\n", addr, tostring(group))
end

function M.bar_line(index)
  return string.format("BAR %d\n", index)
end

function M.already_line(record)
  return "  Memory already initialised - existing last_accessed_text="
    .. line_text(record.last_accessed_text)
end

function M.uninitialised_line(size, zeros, ffs)
  if zeros == size then
    return string.format("  Uninitialised memory region of %d bytes all zeros\n", size)
  end
  return string.format(
    "  Uninitialised memory region of %d contains %d zero bytes and %d 0xff bytes\n", size, zeros,
    ffs)
end

function M.timing_line(total_ns, bytes)
  return string.format(
    "  Total time for byte reads from memory region = %d ns, or average of %d ns per byte\n",
    total_ns, total_ns // bytes)
end

-- `fresh`: the last-accessed text was just written (the C program's "new" label).
function M.fields_lines(record, fresh)
  return "  initialised_text=" .. line_text(record.initialised_text)
    .. (fresh and "  new " or "  ") .. "last_accessed_text=" .. line_text(record.last_accessed_text)
    .. string.format("  accessed_count=%d\n", record.accessed_count)
end

M.NOT_RESPONDING = "device not responding (all bytes 0xFF): removed or reloaded?"

return M
