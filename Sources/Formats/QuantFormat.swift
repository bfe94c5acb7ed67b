/// The kind of number a format stores; each family has one row in `FormatTraits.table`.
public enum FormatFamily: String, Codable, Sendable, CaseIterable {
    /// Weight-only integers in groups along the input dimension (AutoRound/GPTQ W{b}A16).
    case int
    /// OCP Microscaling FP4: E2M1 elements, blocks of 32, E8M0 power-of-two scale.
    case mxfp4
    /// NVIDIA NVFP4: E2M1 elements, blocks of 16, E4M3 block scale, FP32 tensor scale.
    case nvfp4
    /// FP8 E4M3 weights with one FP32 scale per 128 x 128 block (DeepSeek-V3 layout).
    case fp8
    /// bfloat16, kept (only rounded).
    case bf16
    /// llama.cpp's ggml block types (`q4_0`, `q2_K`, ...), stored in GGUF files exactly as ggml lays
    /// them out (`GGMLBlockType`); bits = code width, group = the block (32) or super-block (256).
    case ggml
}

/// A weight format: family, element bits, which weights share a scale, and symmetry.
///
/// Canonical names: `int4/g128` (symmetric), `int4a/g64` (asymmetric), `mxfp4`, `nvfp4`, `fp8`, `bf16`.
/// Build one with `init(parsing:)` or the static constructors; the traits table (`FormatTraits`) decides
/// what is valid, how it is named and how it is quantized.
///
/// This is also the format type of the profile, plan and sweep files: it encodes as its canonical name
/// (a JSON string such as `"int4/g128"`), and decoding accepts only a canonical name of a supported
/// format (`init(canonicalName:)`), so a file never holds an alias, another spelling or an unknown
/// format. Formats order by canonical name (plain string order), the order files list them in.
public struct QuantFormat: Hashable, Comparable, Codable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral {
    public let family: FormatFamily
    /// Bits per element code.
    public let bits: Int
    /// Which weights share one scale.
    public let granularity: Granularity
    /// Symmetric (no stored zero point) or asymmetric.
    public let symmetric: Bool
    /// How the layer's input activations are quantized at run time (W4A4, W8A8), nil for a
    /// weight-only format (W4A16 and the like). Only the pairs `QuantFormat.activationPairs` exist:
    /// `mxfp4-a4`, `nvfp4-a4`, `fp8-a8`. The weights, their quantizer and their bits are those of
    /// the weight-only format.
    public let activation: ActivationScheme?

    /// A format without validation; use `init(parsing:)` or the static constructors for checked ones.
    init(family: FormatFamily, bits: Int, granularity: Granularity, symmetric: Bool, activation: ActivationScheme? = nil) {
        self.family = family
        self.bits = bits
        self.granularity = granularity
        self.symmetric = symmetric
        self.activation = activation
    }

    /// Integer format with `bits` in {2, 3, 4, 8} and `groupSize` in {32, 64, 128}.
    public static func int(bits: Int, groupSize: Int = 128, symmetric: Bool = true) throws -> QuantFormat {
        let name = "int\(bits)\(symmetric ? "" : "a")/g\(groupSize)"
        guard IntGroupQuantizer.supportedBits.contains(bits),
              IntGroupQuantizer.supportedGroupSizes.contains(groupSize) else {
            throw QuantError.unknownFormat(name: name, known: FormatTraits.knownNames)
        }
        return QuantFormat(family: .int, bits: bits, granularity: .group(groupSize), symmetric: symmetric)
    }

    public static let mxfp4 = QuantFormat(family: .mxfp4, bits: 4, granularity: .group(32), symmetric: true)
    public static let nvfp4 = QuantFormat(family: .nvfp4, bits: 4, granularity: .group(16), symmetric: true)
    public static let fp8 = QuantFormat(family: .fp8, bits: 8, granularity: .block(rows: 128, cols: 128), symmetric: true)
    public static let bf16 = QuantFormat(family: .bf16, bits: 16, granularity: .perTensor, symmetric: true)

    /// The format of ggml block type `type`: its code width, its block along the inputs, and
    /// whether a block stores a minimum besides its scale (q2_K, q4_K, q5_K, q4_1, q5_1: asymmetric).
    public static func ggml(_ type: GGMLBlockType) -> QuantFormat {
        QuantFormat(family: .ggml, bits: type.codeBits, granularity: .group(type.blockSize), symmetric: !type.storesMinimum)
    }

    /// The ggml block type of a `.ggml` format (the one type with its code width, block and
    /// symmetry: q4_0 and q4_1 differ only in the last), nil for every other family.
    public var ggmlType: GGMLBlockType? {
        guard family == .ggml, case let .group(n) = granularity else { return nil }
        return GGMLBlockType.allCases.first { $0.codeBits == bits && $0.blockSize == n && $0.storesMinimum == !symmetric }
    }

    /// The search's default candidates: int2, int3, int4, int8 (group 128, symmetric), mxfp4, nvfp4, fp8, bf16.
    public static let defaultCandidates: [QuantFormat] = {
        let ints = [2, 3, 4, 8].map {
            QuantFormat(family: .int, bits: $0, granularity: .group(128), symmetric: true)
        }
        return ints + [.mxfp4, .nvfp4, .fp8, .bf16]
    }()

    /// The row of the traits table for this format's family.
    public var traits: FormatTraits { FormatTraits.of(family) }

    /// Canonical name, e.g. `int4/g128`, `int3a/g64`, `mxfp4`; an activation-quantized format adds
    /// `-a` and its activation bits (`nvfp4-a4`, `fp8-a8`).
    public var name: String {
        traits.canonicalName(self) + (activation.map { "\(Self.activationSuffix)\($0.elementBits)" } ?? "")
    }

    public var description: String { name }

    /// Orders by canonical name, byte-wise (`bf16` < `fp8` < `int2/g128` < ... < `nvfp4`).
    public static func < (lhs: QuantFormat, rhs: QuantFormat) -> Bool { lhs.name < rhs.name }

    /// Parses a canonical name (`int4`, `int4/g64`, `int4a/g32`, `mxfp4`, ...) or an AutoRound alias
    /// (`W4A16`, `MXFP4`, `NVFP4`, `FP8_BLOCK`, `BF16`); case-insensitive, surrounding spaces ignored.
    /// - Throws: `QuantError.unknownFormat` listing the known names.
    /// A weight format followed by `-a4` or `-a8` (`nvfp4-a4`) is its activation-quantized form
    /// (`withActivations()`).
    /// - Throws: `QuantError.unknownFormat` listing the known names; `QuantError.incompatibleActivation`
    ///   for a weight format without that activation form (`int4/g128-a4`, `mxfp4-a8`).
    public init(parsing text: String) throws {
        let key = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let cut = key.range(of: Self.activationSuffix, options: .backwards),
           let bits = Int(key[cut.upperBound...]), !key[..<cut.lowerBound].isEmpty {
            let base = try QuantFormat(parsing: String(key[..<cut.lowerBound]))
            guard base.activation == nil else { throw QuantError.unknownFormat(name: text, known: FormatTraits.knownNames) }
            self = try base.withActivations(bits: bits, name: text)
            return
        }
        for traits in FormatTraits.table {
            if let format = traits.parse(key) {
                self = format
                return
            }
        }
        throw QuantError.unknownFormat(name: text, known: FormatTraits.knownNames)
    }

    /// Reads a name exactly as files write it: the canonical name of a supported format, nothing else
    /// (no alias, no other case, no spaces, no omitted group: `int4` is written `int4/g128`).
    /// - Throws: `QuantError.nonCanonicalName` for another spelling of a known format (naming the
    ///   canonical one), `QuantError.unknownFormat` for anything else.
    public init(canonicalName text: String) throws {
        let format = try QuantFormat(parsing: text)
        guard format.name == text else { throw QuantError.nonCanonicalName(name: text, canonical: format.name) }
        self = format
    }

    /// A canonical name written in source, e.g. `"int4/g128"` or `"fp8"`. A literal that is not one
    /// is a programmer error and stops the program; names from users and files go through
    /// `init(parsing:)` and `init(canonicalName:)`, which throw.
    public init(stringLiteral value: String) {
        do {
            try self.init(canonicalName: value)
        } catch {
            preconditionFailure("format literal: \(error.localizedDescription)")
        }
    }

    /// Decodes a canonical name (`init(canonicalName:)`); any other string is a `DecodingError` at the
    /// value's key path whose description names the value, with the `QuantError` as underlying error.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(canonicalName: text)
        } catch {
            let hint: String
            if case let QuantError.nonCanonicalName(_, canonical) = error {
                hint = "; expected \"\(canonical)\""
            } else {
                hint = " of a supported format (int<bits>[a]/g<group>, mxfp4, nvfp4, fp8, bf16, mxfp4-a4, nvfp4-a4, fp8-a8, ggml types)"
            }
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: container.codingPath,
                debugDescription: "format \"\(text)\" is not a canonical name" + hint, underlyingError: error))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    /// The quantizer of this format's weights (the weight-only format's: its tensors carry
    /// `weightOnly`, and the activations are the input quantizer's business).
    public var quantizer: any WeightQuantizer { traits.makeQuantizer(activation == nil ? self : weightOnly) }

    /// Nominal bits per weight for help text (codes plus scale overhead at the nominal block size,
    /// storage convention, on a large tensor whose dimensions are multiples of the block).
    public var bitsPerWeight: Double {
        quantizer.bitCost(shape: TensorShape(rows: 4096, cols: 4096), convention: .storage).bitsPerWeight
    }

    /// Exact bits to store a tensor of `shape` in this format. See `CostConvention`.
    public func bitCost(shape: TensorShape, convention: CostConvention = .storage) -> BitCost {
        quantizer.bitCost(shape: shape, convention: convention)
    }
}

import Foundation
