@testable import BarluaCore

/// One message per format row of pat-formats.md (each wording), as the kernel prints it, with
/// the event it must give (`text` is filled in by the tests).
struct PATFormatCase: Sendable {
  let row: String
  let message: String
  let want: PATEvent
}

private let ucMinus = "uncached-minus"
private let wc = "write-combining"
private let wb = "write-back"

private func event(
  _ kind: PATEvent.Kind, _ first: UInt64? = nil, _ last: UInt64? = nil, track: String? = nil,
  req: String? = nil, ret: String? = nil, expected: String? = nil, got: String? = nil,
  process: String? = nil, pid: Int? = nil
) -> PATEvent {
  PATEvent(
    kind: kind, first: first, last: last, track: track, req: req, ret: ret, expected: expected,
    got: got, process: process, pid: pid, text: "")
}

let patFormatCases: [PATFormatCase] = [
  // reserve
  PATFormatCase(
    row: "reserve K6",
    message: "x86/PAT: memtype_reserve added [mem 0x387fffe00000-0x387fffefffff], track"
      + " uncached-minus, req uncached-minus, ret uncached-minus",
    want: event(
      .reserve, 0x387f_ffe0_0000, 0x387f_ffef_ffff, track: ucMinus, req: ucMinus, ret: ucMinus)),
  PATFormatCase(
    row: "reserve K419/K44",
    message: "x86/PAT: reserve_memtype added [mem 0xfea00000-0xfeafffff], track write-combining,"
      + " req write-combining, ret write-combining",
    want: event(.reserve, 0xfea0_0000, 0xfeaf_ffff, track: wc, req: wc, ret: wc)),
  PATFormatCase(
    row: "reserve K310",
    message: "reserve_memtype added [mem 0xd0000000-0xd0ffffff], track write-back, req"
      + " write-combining, ret write-back",
    want: event(.reserve, 0xd000_0000, 0xd0ff_ffff, track: wb, req: wc, ret: wb)),
  PATFormatCase(
    row: "reserve K234-K2628 (exclusive end)",
    message: "reserve_memtype added 0xfebf0000-0xfebf1000, track uncached-minus, req"
      + " uncached-minus, ret uncached-minus",
    want: event(.reserve, 0xfebf_0000, 0xfebf_0fff, track: ucMinus, req: ucMinus, ret: ucMinus)),
  PATFormatCase(
    row: "reserve K2625 (no ret)",
    message: "reserve_memtype added 0xfebf0000-0xfebf1000, track uncached-minus, req uncached",
    want: event(.reserve, 0xfebf_0000, 0xfebf_0fff, track: ucMinus, req: "uncached")),
  PATFormatCase(
    row: "reserve, ret - (no type returned)",
    message: "x86/PAT: memtype_reserve added [mem 0xfd000000-0xfdffffff], track write-combining,"
      + " req write-combining, ret -",
    want: event(.reserve, 0xfd00_0000, 0xfdff_ffff, track: wc, req: wc, ret: "-")),
  PATFormatCase(
    row: "reserve, 16 hex digits above 2^63",
    message: "x86/PAT: memtype_reserve added [mem 0xfffffffffffff000-0xffffffffffffffff], track"
      + " write-through, req write-protected, ret write-through",
    want: event(
      .reserve, 0xffff_ffff_ffff_f000, .max, track: "write-through", req: "write-protected",
      ret: "write-through")),
  PATFormatCase(
    row: "reserve, 8 hex digits at 0",
    message: "x86/PAT: memtype_reserve added [mem 0x00000000-0x00000fff], track write-back, req"
      + " write-back, ret write-back",
    want: event(.reserve, 0, 0xfff, track: wb, req: wb, ret: wb)),
  // overlap
  PATFormatCase(
    row: "overlap K6/4.x (exclusive end)",
    message: "x86/PAT: Overlap at 0x387fffe00000-0x387ffff00000",
    want: event(.overlap, 0x387f_ffe0_0000, 0x387f_ffef_ffff)),
  PATFormatCase(
    row: "overlap 2.6.x/3.x, no prefix",
    message: "Overlap at 0xfebf0000-0xfebf1000",
    want: event(.overlap, 0xfebf_0000, 0xfebf_0fff)),
  PATFormatCase(
    row: "overlap, end wrapped to 0 at the top of the address space",
    message: "x86/PAT: Overlap at 0xfffffffffffff000-0x0",
    want: event(.overlap, 0xffff_ffff_ffff_f000, .max)),
  // free
  PATFormatCase(
    row: "free K6",
    message: "x86/PAT: memtype_free request [mem 0xfea00000-0xfeafffff]",
    want: event(.free, 0xfea0_0000, 0xfeaf_ffff)),
  PATFormatCase(
    row: "free K419/K44",
    message: "x86/PAT: free_memtype request [mem 0x387ffff00000-0x387ffff1ffff]",
    want: event(.free, 0x387f_fff0_0000, 0x387f_fff1_ffff)),
  PATFormatCase(
    row: "free K310",
    message: "free_memtype request [mem 0xe0000000-0xe00fffff]",
    want: event(.free, 0xe000_0000, 0xe00f_ffff)),
  PATFormatCase(
    row: "free K2632-K2628 (exclusive end)",
    message: "free_memtype request 0xfebf0000-0xfebf1000",
    want: event(.free, 0xfebf_0000, 0xfebf_0fff)),
  // conflict: req = the first type, track = the second
  PATFormatCase(
    row: "conflict K6/4.x",
    message: "x86/PAT: Xorg:1503 conflicting memory types d0000000-d0400000"
      + " write-combining<->uncached-minus",
    want: event(
      .conflict, 0xd000_0000, 0xd03f_ffff, track: ucMinus, req: wc, process: "Xorg", pid: 1503)),
  PATFormatCase(
    row: "conflict 2.6.x/3.x, task name with a colon",
    message:
      "kworker/0:1:123 conflicting memory types f0000000-f8000000 uncached-minus<->write-back",
    want: event(
      .conflict, 0xf000_0000, 0xf7ff_ffff, track: wb, req: ucMinus, process: "kworker/0:1", pid: 123
    )),
  PATFormatCase(
    row: "conflict, task name with a space",
    message: "x86/PAT: Web Content:4242 conflicting memory types 387fffe00000-387ffff00000"
      + " write-combining<->uncached-minus",
    want: event(
      .conflict, 0x387f_ffe0_0000, 0x387f_ffef_ffff, track: ucMinus, req: wc,
      process: "Web Content",
      pid: 4242)),
  // reserve_failed
  PATFormatCase(
    row: "reserve_failed K6",
    message: "x86/PAT: memtype_reserve failed [mem 0x387ffff00000-0x387ffff1ffff], track"
      + " uncached-minus, req write-combining",
    want: event(.reserveFailed, 0x387f_fff0_0000, 0x387f_fff1_ffff, track: ucMinus, req: wc)),
  PATFormatCase(
    row: "reserve_failed K419/K44",
    message: "x86/PAT: reserve_memtype failed [mem 0xfea00000-0xfeafffff], track uncached-minus,"
      + " req write-combining",
    want: event(.reserveFailed, 0xfea0_0000, 0xfeaf_ffff, track: ucMinus, req: wc)),
  PATFormatCase(
    row: "reserve_failed K310",
    message: "reserve_memtype failed [mem 0xfea00000-0xfeafffff], track uncached-minus, req"
      + " write-combining",
    want: event(.reserveFailed, 0xfea0_0000, 0xfeaf_ffff, track: ucMinus, req: wc)),
  PATFormatCase(
    row: "reserve_failed K234-K2628 (exclusive end)",
    message: "reserve_memtype failed 0xfea00000-0xfeb00000, track uncached-minus, req write-back",
    want: event(.reserveFailed, 0xfea0_0000, 0xfeaf_ffff, track: ucMinus, req: wb)),
  PATFormatCase(
    row: "reserve_failed WARN K6",
    message: "memtype_reserve failed: [mem 0xfea00000-0xfeafffff], req write-combining",
    want: event(.reserveFailed, 0xfea0_0000, 0xfeaf_ffff, req: wc)),
  PATFormatCase(
    row: "reserve_failed WARN K419",
    message: "reserve_memtype failed: [mem 0x387fffe00000-0x387fffefffff], req write-back",
    want: event(.reserveFailed, 0x387f_ffe0_0000, 0x387f_ffef_ffff, req: wb)),
  PATFormatCase(
    row: "reserve_failed RAM K6/K419/K44 (raw numbers)",
    message: "x86/PAT: reserve_ram_pages_type failed [mem 0x0009f000-0x0009ffff], track 0x1,"
      + " req 0x2",
    want: event(.reserveFailed, 0x9_f000, 0x9_ffff, track: "0x1", req: "0x2")),
  PATFormatCase(
    row: "reserve_failed RAM K310",
    message: "reserve_ram_pages_type failed [mem 0x0009f000-0x0009ffff], track 0x10, req 0x8",
    want: event(.reserveFailed, 0x9_f000, 0x9_ffff, track: "0x10", req: "0x8")),
  PATFormatCase(
    row: "reserve_failed RAM K234 (exclusive end)",
    message: "reserve_ram_pages_type failed 0x9f000-0xa0000, track 0x10, req 0x8",
    want: event(.reserveFailed, 0x9_f000, 0x9_ffff, track: "0x10", req: "0x8")),
  // free_invalid
  PATFormatCase(
    row: "free_invalid K6/K419",
    message: "x86/PAT: test:1234 freeing invalid memtype [mem 0xfea00000-0xfeafffff]",
    want: event(.freeInvalid, 0xfea0_0000, 0xfeaf_ffff, process: "test", pid: 1234)),
  PATFormatCase(
    row: "free_invalid K310",
    message: "test:1234 freeing invalid memtype [mem 0xfea00000-0xfeafffff]",
    want: event(.freeInvalid, 0xfea0_0000, 0xfeaf_ffff, process: "test", pid: 1234)),
  PATFormatCase(
    row: "free_invalid K2632-K2628 (exclusive end)",
    message: "test:1234 freeing invalid memtype fea00000-feb00000",
    want: event(.freeInvalid, 0xfea0_0000, 0xfeaf_ffff, process: "test", pid: 1234)),
  // map_pfn_mismatch
  PATFormatCase(
    row: "map pfn expected K6/K419",
    message: "x86/PAT: qemu-system-x86:3011 map pfn expected mapping type uncached-minus for"
      + " [mem 0xfea00000-0xfeafffff], got write-back",
    want: event(
      .mapPfnMismatch, 0xfea0_0000, 0xfeaf_ffff, expected: ucMinus, got: wb,
      process: "qemu-system-x86", pid: 3011)),
  PATFormatCase(
    row: "map pfn expected K310",
    message: "qemu-kvm:3011 map pfn expected mapping type write-combining for"
      + " [mem 0xfea00000-0xfeafffff], got uncached-minus",
    want: event(
      .mapPfnMismatch, 0xfea0_0000, 0xfeaf_ffff, expected: wc, got: ucMinus, process: "qemu-kvm",
      pid: 3011)),
  PATFormatCase(
    row: "map pfn expected K2632/K2629 (exclusive end)",
    message: "qemu:3011 map pfn expected mapping type uncached-minus for fea00000-feb00000,"
      + " got write-back",
    want: event(
      .mapPfnMismatch, 0xfea0_0000, 0xfeaf_ffff, expected: ucMinus, got: wb, process: "qemu",
      pid: 3011)),
  PATFormatCase(
    row: "map pfn RAM range K6/K419",
    message: "x86/PAT: bash:999 map pfn RAM range req write-combining for"
      + " [mem 0x12345000-0x12345fff], got write-back",
    want: event(
      .mapPfnMismatch, 0x1234_5000, 0x1234_5fff, req: wc, got: wb, process: "bash", pid: 999)),
  PATFormatCase(
    row: "map pfn RAM range K310",
    message: "bash:999 map pfn RAM range req uncached-minus for [mem 0x12345000-0x12345fff],"
      + " got write-back",
    want: event(
      .mapPfnMismatch, 0x1234_5000, 0x1234_5fff, req: ucMinus, got: wb, process: "bash", pid: 999)),
  PATFormatCase(
    row: "/dev/mem expected K2628/K2629 (exclusive end)",
    message:
      "X:2431 /dev/mem expected mapping type write-back for e0000-100000, got uncached-minus",
    want: event(
      .mapPfnMismatch, 0xe_0000, 0xf_ffff, expected: wb, got: ucMinus, process: "X", pid: 2431)),
  // other, with fields
  PATFormatCase(
    row: "ioremap_change_attr K6/K419",
    message: "x86/PAT: insmod:500 ioremap_change_attr failed uncached-minus for"
      + " [mem 0xfea00000-0xfeafffff]",
    want: event(.other, 0xfea0_0000, 0xfeaf_ffff, req: ucMinus, process: "insmod", pid: 500)),
  PATFormatCase(
    row: "ioremap_change_attr K310",
    message:
      "insmod:500 ioremap_change_attr failed write-combining for [mem 0xfea00000-0xfeafffff]",
    want: event(.other, 0xfea0_0000, 0xfeaf_ffff, req: wc, process: "insmod", pid: 500)),
  PATFormatCase(
    row: "ioremap_change_attr K2632 (exclusive end)",
    message: "insmod:500 ioremap_change_attr failed write-combining for fea00000-feb00000",
    want: event(.other, 0xfea0_0000, 0xfeaf_ffff, req: wc, process: "insmod", pid: 500)),
  PATFormatCase(
    row: "reserve_pfn_range ioremap_change_attr K2629",
    message:
      "Xorg:77 reserve_pfn_range ioremap_change_attr failed write-back for d0000000-d0001000",
    want: event(.other, 0xd000_0000, 0xd000_0fff, req: wb, process: "Xorg", pid: 77)),
  PATFormatCase(
    row: "/dev/mem ioremap_change_attr K2628",
    message: "Xorg:77 /dev/mem ioremap_change_attr failed uncached-minus for a0000-c0000",
    want: event(.other, 0xa_0000, 0xb_ffff, req: ucMinus, process: "Xorg", pid: 77)),
  PATFormatCase(
    row: "/dev/mem access K319",
    message: "Program dmidecode tried to access /dev/mem between [mem 0x000f0000-0x000fffff],"
      + " PAT prevents it",
    want: event(.other, 0xf_0000, 0xf_ffff, process: "dmidecode")),
  PATFormatCase(
    row: "/dev/mem access K310",
    message: "Program dmidecode tried to access /dev/mem between [mem 0x000f0000-0x000fffff]",
    want: event(.other, 0xf_0000, 0xf_ffff, process: "dmidecode")),
  PATFormatCase(
    row: "/dev/mem access K2628-K2632 (exclusive end)",
    message: "Program dmidecode tried to access /dev/mem between f0000->100000.",
    want: event(.other, 0xf_0000, 0xf_ffff, process: "dmidecode")),
  PATFormatCase(
    row: "ioremap.c after a failed reservation",
    message: "ioremap memtype_reserve failed -16",
    want: event(.other)),
  // config
  PATFormatCase(
    row: "config 4.2+ (cells end in spaces)",
    message: "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  ",
    want: event(.config)),
  PATFormatCase(
    row: "config ≈3.19-4.1",
    message: "PAT configuration [0-7]: WB  WC  UC- UC  WB  WC  UC- UC  ",
    want: event(.config)),
  PATFormatCase(
    row: "config 2.6.28-3.10",
    message: "x86 PAT enabled: cpu 0, old 0x7040600070406, new 0x7010600070106",
    want: event(.config)),
  // other: PAT messages with no fields
  PATFormatCase(
    row: "pat_disable K6", message: "x86/PAT: PAT support disabled via boot option.",
    want: event(.other)),
  PATFormatCase(
    row: "pat_disable K44", message: "x86/PAT: PAT MSR is 0, disabled.", want: event(.other)),
  PATFormatCase(
    row: "pat_disable ≤4.1", message: "PAT not supported by CPU.", want: event(.other)),
  PATFormatCase(
    row: "mtrr", message: "x86/PAT: MTRRs disabled, skipping PAT initialization too.",
    want: event(.other)),
  PATFormatCase(
    row: "CONFIG_X86_PAT off",
    message: "x86/PAT: PAT support disabled because CONFIG_X86_PAT is disabled in the kernel.",
    want: event(.other)),
  PATFormatCase(
    row: "WARN_ONCE", message: "x86/PAT: PAT cannot be disabled after initialization",
    want: event(.other)),
  PATFormatCase(
    row: "secondary CPU ≤4.1", message: "PAT enabled, but not supported by secondary CPU",
    want: event(.other)),
]
