/// One row per format family (after llama.cpp's `type_traits[]`): names, aliases, element width,
/// block geometry and the quantizer. CLI parsing, help text, bit accounting and tests read this table;
/// nothing else switches over format names.
public struct FormatTraits: Sendable {
    public let family: FormatFamily
    /// One-line description for help text.
    public let summary: String
    /// Bits of one element code.
    public let elementBits: [Int]
    /// Weights per scale along the input dimension: the default group for int (32/64/128 selectable),
    /// the fixed block for FP4 and FP8 (FP8's blocks are also 128 rows tall); 0 = no scales.
    public let blockSize: Int
    /// How a dimension that is not a multiple of the block is handled.
    public let padding: String
    /// AutoRound scheme names accepted for this family, with the format each stands for.
    public let aliases: [(alias: String, format: QuantFormat)]
    let parse: @Sendable (String) -> QuantFormat?
    let canonicalName: @Sendable (QuantFormat) -> String
    let makeQuantizer: @Sendable (QuantFormat) -> any WeightQuantizer

    /// The table, in help-text order.
    public static let table: [FormatTraits] = [
        IntGroupQuantizer.traits, MXFP4Quantizer.traits, NVFP4Quantizer.traits,
        FP8BlockQuantizer.traits, BF16Quantizer.traits, GGMLFormatQuantizer.traits,
    ]

    /// The row of `family`.
    public static func of(_ family: FormatFamily) -> FormatTraits {
        guard let row = table.first(where: { $0.family == family }) else {
            preconditionFailure("format family \(family) has no traits row")
        }
        return row
    }

    /// Every accepted spelling family by family: canonical patterns, then aliases.
    public static var knownNames: [String] {
        ["int2|int3|int4|int8[a][/g32|/g64|/g128]", "mxfp4", "nvfp4", "fp8", "bf16"]
            + QuantFormat.activationFormats.map(\.name) + GGMLBlockType.allCases.map(\.name)
            + table.flatMap { $0.aliases.map(\.alias) }
    }

    /// Help text: one line per family with nominal bits per weight.
    public static var helpText: String {
        table.map { row in
            let example = row.family == .int ? QuantFormat.defaultCandidates[2]
                : row.family == .ggml ? QuantFormat.ggml(.q4_K) : simpleFormat(row.family)
            let bpw = example.map { String(format: "%.4f", $0.bitsPerWeight) } ?? "-"
            return "\(row.family.rawValue): \(row.summary) (e.g. \(example?.name ?? "-"): \(bpw) bits/weight)"
        }.joined(separator: "\n")
    }

    private static func simpleFormat(_ family: FormatFamily) -> QuantFormat? {
        QuantFormat.defaultCandidates.first { $0.family == family }
    }

    /// Parser for families with a single format and fixed name plus aliases.
    static func fixedParser(_ format: QuantFormat, names: [String]) -> @Sendable (String) -> QuantFormat? {
        let keys = Set(names.map { $0.lowercased() })
        return { keys.contains($0) ? format : nil }
    }
}

import Foundation
