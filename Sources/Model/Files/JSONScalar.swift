import Foundation

/// Python's view of scalars that `JSONSerialization` returns as `NSNumber`: on Linux an `NSNumber`
/// of 1 also casts to `Bool` and one of 30.0 to `Int`, where Python's `json` keeps `true`, `1` and
/// `30.0` apart (`isinstance(x, bool)`, `isinstance(x, int)`). Used where llama.cpp's converter
/// decides by those types.
enum JSONScalar {
    /// The value of a JSON `true` / `false`, nil for anything else (numbers included).
    static func bool(_ value: Any?) -> Bool? {
        guard let n = value as? NSNumber, String(cString: n.objCType) == "c" else { return nil }
        return n.boolValue
    }

    /// The value of a JSON integer, nil for anything else (booleans and numbers with a fraction or
    /// exponent included).
    static func int(_ value: Any?) -> Int? {
        guard let n = value as? NSNumber, !["c", "d", "f"].contains(String(cString: n.objCType)) else { return nil }
        return n as? Int
    }
}
