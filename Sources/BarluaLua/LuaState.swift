import BarluaCore
import CBarlua
import CLua

/// Placeholder for the Lua state owner.
public final class LuaRuntime {
  public init() {}
}
