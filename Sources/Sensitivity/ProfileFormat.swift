import Formats

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

/// The role of a linear layer inside a transformer block.
public enum LayerKind: String, Codable, Sendable, CaseIterable {
    case q, k, v, o, gate, up, down, other

    /// The kind implied by a Hugging Face module name (`...self_attn.q_proj.weight` -> `.q`).
    public init(moduleName name: String) {
        let table: [(String, LayerKind)] = [
            ("q_proj", .q), ("k_proj", .k), ("v_proj", .v), ("o_proj", .o),
            ("gate_proj", .gate), ("up_proj", .up), ("down_proj", .down),
            ("w1", .gate), ("w3", .up), ("w2", .down),
        ]
        let components = name.split(separator: ".").map(String.init)
        for (key, kind) in table where components.contains(key) {
            self = kind
            return
        }
        self = .other
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
