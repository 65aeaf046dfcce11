/// Every x86 PAT message format the kernel has printed, 2.6.25 to 6.x
/// (read from the kernel sources).
///
/// Messages are matched after an optional `x86/PAT: ` prefix (4.2+ prints it, older kernels
/// don't). Two shorthands keep the table close to the sources:
/// - `{reserve}` / `{free}`: both wordings, `memtype_reserve` (5.5+) and `reserve_memtype`
///   (older); `memtype_free` and `free_memtype`.
/// - `{range}`: `[mem A-B]` (3.4+, B is the inclusive last byte) or a bare `A-B` (older
///   kernels, and "Overlap at" / "conflicting memory types" in every era: B is exclusive).
enum PATFormats {
  struct Format: Sendable {
    let kind: PATEvent.Kind
    let template: PATTemplate
    /// The second address is one past the range (the event's `last` is one less).
    let endExclusive: Bool
  }

  /// The prefix 4.2+ kernels print before every PAT message.
  static let prefix = Array("x86/PAT: ".utf8)

  static let all: [Format] = table.flatMap { kind, format in expand(kind, format) }

  private static let table: [(PATEvent.Kind, String)] = [
    (.reserve, "{reserve} added {range}, track {track}, req {req}, ret {ret}"),
    (.reserve, "{reserve} added {range}, track {track}, req {req}"),  // 2.6.25: no ret
    (.overlap, "Overlap at {range}"),
    (.free, "{free} request {range}"),
    (.conflict, "{comm}:{pid} conflicting memory types {range} {req}<->{track}"),
    (.reserveFailed, "{reserve} failed {range}, track {track}, req {req}"),
    (.reserveFailed, "{reserve} failed: {range}, req {req}"),  // WARN() in 4.19 and 5.5+
    (.reserveFailed, "reserve_ram_pages_type failed {range}, track {track}, req {req}"),
    (.freeInvalid, "{comm}:{pid} freeing invalid memtype {range}"),
    (
      .mapPfnMismatch,
      "{comm}:{pid} map pfn expected mapping type {expected} for {range}, got {got}"
    ),
    (.mapPfnMismatch, "{comm}:{pid} map pfn RAM range req {req} for {range}, got {got}"),
    (
      .mapPfnMismatch,
      "{comm}:{pid} /dev/mem expected mapping type {expected} for {range}, got {got}"
    ),
    // ioremap_change_attr prints the type it tried to set without a label: kept in `req`.
    (.other, "{comm}:{pid} ioremap_change_attr failed {req} for {range}"),
    (.other, "{comm}:{pid} reserve_pfn_range ioremap_change_attr failed {req} for {range}"),
    (.other, "{comm}:{pid} /dev/mem ioremap_change_attr failed {req} for {range}"),
    (.other, "Program {comm} tried to access /dev/mem between {range}, PAT prevents it"),
    (.other, "Program {comm} tried to access /dev/mem between {range}"),
    (.other, "Program {comm} tried to access /dev/mem between {first}->{last}."),
    // arch/x86/mm/ioremap.c, printed right after a failed reservation.
    (.other, "ioremap {reserve} failed {rest}"),
    (.config, "Configuration [0-7]: {rest}"),
    (.config, "PAT configuration [0-7]: {rest}"),
    (.config, "x86 PAT enabled: cpu {rest}"),
  ]

  private static func expand(_ kind: PATEvent.Kind, _ format: String) -> [Format] {
    var variants: [(String, Bool)] = [(format, format.contains("->{last}."))]
    variants = variants.flatMap { text, exclusive in
      text.contains("{range}")
        ? [
          (text.replacing("{range}", with: "[mem {first}-{last}]"), false),
          (text.replacing("{range}", with: "{first}-{last}"), true),
        ] : [(text, exclusive)]
    }
    for (shorthand, wordings) in [
      ("{reserve}", ["memtype_reserve", "reserve_memtype"]),
      ("{free}", ["memtype_free", "free_memtype"]),
    ] {
      variants = variants.flatMap { text, exclusive in
        text.contains(shorthand)
          ? wordings.map { (text.replacing(shorthand, with: $0), exclusive) }
          : [(text, exclusive)]
      }
    }
    return variants.map { Format(kind: kind, template: PATTemplate($0), endExclusive: $1) }
  }
}
