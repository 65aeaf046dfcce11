import CBarlua
import CLua

/// A Lua userdata type over a Swift object (CBarlua/object.c: one shared metatable per type,
/// the object's fields in a table). Its methods find `self` and check their argument count
/// here, in one place.
struct LuaObjectType<Object: AnyObject>: Sendable {
  /// The metatable's name, e.g. "barlua.device".
  let typeName: String
  /// How errors name the object: "device" ("expected a device as self", "device was collected").
  let noun: String
  let article: String
  /// What closing the object does (the `close`-like method, `__close` and `__gc`): must be
  /// idempotent.
  let release: @Sendable (Object) -> Void

  /// Pushes `object` (retained by the userdata) with the fields `fields`.
  func push(_ L: LuaState, _ object: Object, fields: LuaRecord) {
    fields.push(L)
    barlua_object_push(L, typeName, Unmanaged.passRetained(object).toOpaque())
  }

  /// The object at argument 1, or an error naming the method.
  func object(_ args: LuaArgs) throws -> Object {
    guard let p = barlua_object_get(args.L, 1, typeName) else {
      let what = barlua_object_is(args.L, 1, typeName) != 0 ? "\(noun) was collected" : "got \(args.typeName(1))"
      throw LuaArgumentError(
        "\(args.fn): expected \(article) \(noun) as self (call it as \(args.fn)(...)), \(what)")
    }
    return Unmanaged<Object>.fromOpaque(p).takeUnretainedValue()
  }

  /// `luaCall` for the method `name`: finds `self`, then (with `maxArgs`) refuses more than
  /// `maxArgs` arguments, `self` included (`usage` names the others).
  func method(
    _ L: LuaState?, _ name: String, atMost maxArgs: Int32? = nil, _ usage: String = "",
    _ body: (LuaState, Object, LuaArgs) throws -> Int32
  ) -> Int32 {
    luaCall(L, name) { L in
      let args = LuaArgs(L: L, fn: name)
      let object = try object(args)
      if let maxArgs { try args.expectAtMost(maxArgs, usage) }
      return try body(L, object, args)
    }
  }

  /// A method that takes no arguments and returns nothing, e.g. device:reset().
  func action(_ L: LuaState?, _ name: String, _ body: (Object) throws -> Void) -> Int32 {
    method(L, name, atMost: 1, "no arguments") { _, object, _ in
      try body(object)
      return 0
    }
  }

  /// The method `name` that releases the object (also `__close`); idempotent, takes any
  /// arguments (`__close` gets the error object).
  func release(_ L: LuaState?, _ name: String) -> Int32 {
    method(L, name) { _, object, _ in
      release(object)
      return 0
    }
  }

  /// `__gc`: takes the object from its userdata, releases it, then drops the retain.
  func collect(_ L: LuaState?) -> Int32 {
    guard let L, let p = barlua_object_take(L, 1, typeName) else { return 0 }
    let object = Unmanaged<Object>.fromOpaque(p)
    release(object.takeUnretainedValue())
    object.release()
    return 0
  }

  /// `__tostring`.
  func tostring(_ L: LuaState?, _ describe: (Object) -> String) -> Int32 {
    method(L, "\(noun):__tostring") { L, object, _ in
      lua_pushstring(L, describe(object))
      return 1
    }
  }
}
