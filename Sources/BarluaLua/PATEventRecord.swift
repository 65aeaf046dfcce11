import BarluaCore
import CBarlua
import CLua

/// A PAT event as the record of pat.events and pat.parse: the one mapping of `PATEvent`'s
/// values onto the fields of `barlua_pat_event.h`'s list (the C side builds the table from
/// that list, in its order).
enum PATEventRecord {
  /// Writes `events` into `batch`; returns their count, or -1 after setting `need_events` and
  /// `need_bytes` when the batch is too small. Allocates only in proportion to the events.
  static func write(_ events: [PATEvent], into batch: UnsafeMutablePointer<barlua_pat_batch>) -> Int32 {
    let strings = events.map(strings)
    let bytes = strings.reduce(0) { $0 + $1.reduce(0) { $0 + $1.value.utf8.count } }
    guard events.count <= batch.pointee.cap_events, bytes <= batch.pointee.cap_bytes,
      let out = batch.pointee.events, let buf = batch.pointee.buf
    else {
      batch.pointee.need_events = Int32(max(events.count, 1))
      batch.pointee.need_bytes = max(bytes, 1)
      return -1
    }
    var offset = 0
    for (i, event) in events.enumerated() {
      let ev = out + i
      ev.pointee = barlua_pat_event()
      for (field, string) in strings[i] {
        let utf8 = Array(string.utf8)
        utf8.withUnsafeBytes {
          if $0.count > 0 {
            UnsafeMutableRawPointer(buf + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
          }
        }
        barlua_pat_set_string(ev, field, offset, utf8.count)
        offset += utf8.count
      }
      if let v = event.first { barlua_pat_set_integer(ev, Int32(BARLUA_PAT_first), Int64(bitPattern: v)) }
      if let v = event.last { barlua_pat_set_integer(ev, Int32(BARLUA_PAT_last), Int64(bitPattern: v)) }
      if let v = event.pid { barlua_pat_set_integer(ev, Int32(BARLUA_PAT_pid), Int64(v)) }
      if let v = event.time { barlua_pat_set_number(ev, Int32(BARLUA_PAT_time), v) }
      if let v = event.seq { barlua_pat_set_integer(ev, Int32(BARLUA_PAT_seq), Int64(bitPattern: v)) }
    }
    batch.pointee.count = Int32(events.count)
    return Int32(events.count)
  }

  /// The string fields of `event` that it has, with their indices.
  private static func strings(_ event: PATEvent) -> [(field: Int32, value: String)] {
    let all: [(Int32, String?)] = [
      (Int32(BARLUA_PAT_kind), event.kind.rawValue), (Int32(BARLUA_PAT_track), event.track),
      (Int32(BARLUA_PAT_req), event.req), (Int32(BARLUA_PAT_ret), event.ret),
      (Int32(BARLUA_PAT_expected), event.expected), (Int32(BARLUA_PAT_got), event.got),
      (Int32(BARLUA_PAT_process), event.process), (Int32(BARLUA_PAT_text), event.text),
      (Int32(BARLUA_PAT_wallclock), event.wallclock),
    ]
    return all.compactMap { field, value in value.map { (field, $0) } }
  }

  /// Pushes the table of one event (pat.events), built by the C side from the same list.
  static func push(_ L: LuaState, _ event: PATEvent) {
    var ev = barlua_pat_event()
    let bytes = strings(event).reduce(0) { $0 + $1.value.utf8.count }
    var buf = [CChar](repeating: 0, count: max(bytes, 1))
    buf.withUnsafeMutableBufferPointer { b in
      withUnsafeMutablePointer(to: &ev) { e in
        var batch = barlua_pat_batch(
          events: e, cap_events: 1, buf: b.baseAddress, cap_bytes: b.count, count: 0, need_events: 0, need_bytes: 0)
        _ = write([event], into: &batch)
        barlua_pat_push_event(L, e, b.baseAddress)
      }
    }
  }
}
