import Formats
import Model

/// The name of a candidate number format as written in a profile or plan, e.g. `int2/g128`,
/// `int4a/g64`, `mxfp4`, `nvfp4`, `fp8`, `bf16`.
///
/// The file keeps format names as strings so that a profile stays readable without the Quant
/// module; this wrapper gives them a type in code. Names are canonical: lower case, no spaces.
/// Grammar: `int<bits>[a]/g<group>` (`a` = asymmetric with a zero point), or one of the block/float
/// names `mxfp4`, `mxfp6`, `mxfp8`, `nvfp4`, `fp8`, `bf16`, `f16`.
public struct FormatName: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { self.rawValue = name }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: FormatName, rhs: FormatName) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Float names accepted without a group suffix.
    public static let floatNames: Set<String> = ["mxfp4", "mxfp6", "mxfp8", "nvfp4", "fp8", "bf16", "f16"]

    /// Whether the name follows the canonical grammar above.
    public var isCanonical: Bool {
        if Self.floatNames.contains(rawValue) { return true }
        let parts = rawValue.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("int"), parts[1].hasPrefix("g") else { return false }
        var bitsText = parts[0].dropFirst(3)
        if bitsText.hasSuffix("a") { bitsText = bitsText.dropLast() }
        guard let bits = Int(bitsText), (1...16).contains(bits),
              let group = Int(parts[1].dropFirst()), group > 0 else { return false }
        return true
    }
}

/// The exact number of bits a layer occupies in one format, under both counting conventions.
/// Integers: a whole layer's bits, not bits per weight.
public struct LayerBits: Codable, Sendable, Equatable, Hashable {
    public var storage: Int
    public var autoround: Int

    public init(storage: Int, autoround: Int) {
        self.storage = storage
        self.autoround = autoround
    }

    /// The cost under one convention.
    public subscript(counting: CostConvention) -> Int {
        switch counting {
        case .storage: return storage
        case .autoround: return autoround
        }
    }
}

extension LayerBits {
    /// The profile entry from the Quant module's exact costs under both conventions.
    public init(storage: Formats.BitCost, autoround: Formats.BitCost) {
        self.init(storage: storage.totalBits, autoround: autoround.totalBits)
    }
}

extension Optional where Wrapped == LinearKind {
    /// The name a profile writes for a layer's kind: the `LinearKind` raw value, `other` for nil.
    public var profileName: String { self?.rawValue ?? "other" }
}

/// A layer kind as the profile file writes it: a `LinearKind` raw value (`q`, ..., `down`) or `other`
/// (nil) for weights that are none of a block's linear layers. Always written, also for nil.
@propertyWrapper
public struct ProfileLayerKind: Codable, Sendable, Equatable {
    public var wrappedValue: LinearKind?

    public init(wrappedValue: LinearKind?) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if text == Optional<LinearKind>.none.profileName {
            wrappedValue = nil
        } else if let kind = LinearKind(rawValue: text) {
            wrappedValue = kind
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription:
                "Cannot initialize LayerKind from invalid String value \(text)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.profileName)
    }
}
