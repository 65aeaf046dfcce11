/// The one hex formatter for messages and listings: lower-case digits, no `0x`, zero-padded to
/// at least `width` digits (`hex(0x1af4, width: 4)` is `1af4`, `hex(0x20)` is `20`).
/// Negative values (Lua integers in argument errors) keep their sign: `-10`.
public func hex<T: BinaryInteger>(_ value: T, width: Int = 1) -> String {
  let digits = String(value.magnitude, radix: 16)
  let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  return value < 0 ? "-" + padded : padded
}
