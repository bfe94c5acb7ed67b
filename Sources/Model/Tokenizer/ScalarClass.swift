/// The character classes the pre-tokenizer regexes test, as bit flags of one byte per scalar.
///
/// - `letter`: Unicode general category L (Lu, Ll, Lt, Lm, Lo), the regex `\p{L}`.
/// - `number`: category N (Nd, Nl, No), the regex `\p{N}`.
/// - `whitespace`: the Unicode White_Space property, the regex `\s` (tab, LF, VT, FF, CR, space,
///   U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
/// - `lineBreak`: CR or LF only, the regex `[\r\n]` (also flagged `whitespace`).
/// Everything else (punctuation, symbols, marks, controls) has no flag: `[^\s\p{L}\p{N}]`.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let whitespace = ScalarClass(rawValue: 4)
    static let lineBreak = ScalarClass(rawValue: 8)

    /// Precomputed classes of the 128 ASCII scalars (the common case in hot loops).
    private static let ascii: [UInt8] = (0..<128).map { classify(UInt32($0)).rawValue }

    /// Class of one scalar value; ASCII through a table, the rest through Unicode properties.
    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        value < 128 ? ascii[Int(value)] : classify(value).rawValue
    }

    private static func classify(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        if value == 0x0A || value == 0x0D { return [.whitespace, .lineBreak] }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return []
        }
    }
}

/// Text decoded once into Unicode scalars, their classes and UTF-8 offsets, which the
/// pre-tokenizer scanners read. Piece boundaries are scalar indices; `byteOffsets[i]` is where
/// scalar `i` starts in the UTF-8 bytes (`byteOffsets[count]` is the byte count).
struct ScalarText {
    var scalars: [UInt32] = []
    var classes: [UInt8] = []
    var byteOffsets: [Int] = []

    /// - Complexity: O(bytes).
    init(_ text: String) {
        let estimate = text.utf8.count
        scalars.reserveCapacity(estimate)
        classes.reserveCapacity(estimate)
        byteOffsets.reserveCapacity(estimate + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            scalars.append(scalar.value)
            classes.append(ScalarClass.of(scalar.value))
            byteOffsets.append(offset)
            offset += UTF8.width(scalar)
        }
        byteOffsets.append(offset)
    }

    var count: Int { scalars.count }
}
