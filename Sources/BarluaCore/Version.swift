/// barlua's version (semantic versioning).
public let version = "0.1.0"
