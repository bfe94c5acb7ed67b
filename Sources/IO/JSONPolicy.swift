import Foundation

/// The one way AutoScheme encodes and decodes JSON files and JSON printed by the tool.
///
/// Keys are sorted so equal values give equal bytes (files diff cleanly, digests of encoded keys are
/// stable). Finite numbers are written exactly as `JSONEncoder` writes them. Non-finite numbers,
/// which JSON cannot hold and `JSONEncoder` refuses by default, are written as the strings `"nan"`,
/// `"inf"` and `"-inf"` (an undefined KL of a run without a reference, a PPL that overflowed), and
/// `decoder()` reads those strings back as the same values.
public enum JSONPolicy {
    /// Layout of the encoded text.
    public enum Style: Sendable {
        /// Indented, one member per line, keys sorted: files people read (plan, profile, summary).
        case pretty
        /// One line, keys sorted: JSON printed on stdout, digest inputs.
        case compact
    }

    /// The strings that stand for non-finite numbers.
    public static let positiveInfinity = "inf", negativeInfinity = "-inf", nan = "nan"

    /// An encoder configured for `style`; `escapingSlashes: false` writes `/` in paths unescaped.
    public static func encoder(_ style: Style, escapingSlashes: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        var formatting: JSONEncoder.OutputFormatting = style == .pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        if !escapingSlashes { formatting.insert(.withoutEscapingSlashes) }
        encoder.outputFormatting = formatting
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: positiveInfinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    /// A decoder that reads what `encoder` writes, non-finite strings included.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: positiveInfinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }

    /// `value` as JSON bytes in `style`.
    public static func encode<T: Encodable>(_ value: T, style: Style = .pretty, escapingSlashes: Bool = true) throws -> Data {
        try encoder(style, escapingSlashes: escapingSlashes).encode(value)
    }

    /// `value` as JSON text in `style` (UTF-8).
    public static func string<T: Encodable>(_ value: T, style: Style = .pretty, escapingSlashes: Bool = true) throws -> String {
        String(decoding: try encode(value, style: style, escapingSlashes: escapingSlashes), as: UTF8.self)
    }

    /// A `T` decoded from `data` by `decoder()`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder().decode(type, from: data)
    }
}
