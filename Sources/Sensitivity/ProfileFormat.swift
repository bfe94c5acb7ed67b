import Formats
import Model

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
