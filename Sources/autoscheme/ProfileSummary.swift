import Foundation
import Sensitivity
import IO

/// What `profile` prints after writing the file: per-format score totals, validation and timings.
struct ProfileSummary: Encodable {
    struct FormatRow: Encodable {
        let format: String
        /// Sum of the layer scores (the predicted loss if every layer took this format).
        let totalScore: Double
        let bitsPerWeight: Double
        let fallbacks: Int
        enum CodingKeys: String, CodingKey {
            case format, fallbacks
            case totalScore = "total_score"
            case bitsPerWeight = "bits_per_weight"
        }
    }
    struct ValidationRow: Encodable {
        let estimator: String
        let spearman: Double
        let pearson: Double
        let plans: Int
    }

    let output: String
    let estimator: String
    let layers: Int
    let formats: [FormatRow]
    let validation: [ValidationRow]
    let timings: [String: Double]
    let notes: [String]

    init(_ p: SensitivityProfile, output: String) {
        self.output = output
        estimator = p.estimator
        layers = p.layers.count
        formats = p.formats.map { f in
            // Over the layers that have the format as a candidate (an activation format whose group
            // does not divide a layer's inputs is none of its candidates).
            let members = p.layers.filter { $0.candidate(f) != nil }
            let entries = members.compactMap { $0.candidate(f) }
            let weights = Double(members.reduce(0) { $0 + $1.parameters })
            return FormatRow(format: f.name, totalScore: entries.reduce(0) { $0 + $1.score },
                             bitsPerWeight: Double(entries.reduce(0) { $0 + $1.bits.storage }) / max(weights, 1),
                             fallbacks: entries.filter { $0.fallback != nil }.count)
        }
        validation = (p.validation ?? []).map {
            ValidationRow(estimator: $0.estimator, spearman: $0.spearman, pearson: $0.pearson, plans: $0.points.count)
        }
        timings = Dictionary((p.timings ?? []).map { ($0.stage, $0.seconds) }, uniquingKeysWith: { a, _ in a })
        notes = p.profiler?.notes ?? []
    }

    func json() throws -> String {
        try JSONPolicy.string(self)
    }

    func text() -> String {
        var lines = ["wrote \(output): \(layers) layers x \(formats.count) formats, estimator \(estimator)",
                     "| format | bits/weight | sum of scores | layers with fallback |", "|---|---:|---:|---:|"]
        for f in formats {
            lines.append("| \(f.format) | \(String(format: "%.4f", f.bitsPerWeight)) | \(String(format: "%.6g", f.totalScore)) | \(f.fallbacks) |")
        }
        if !validation.isEmpty {
            lines += ["", "| estimator | Spearman | Pearson | plans |", "|---|---:|---:|---:|"]
            for v in validation {
                lines.append("| \(v.estimator) | \(String(format: "%.3f", v.spearman)) | \(String(format: "%.3f", v.pearson)) | \(v.plans) |")
            }
        }
        lines.append("")
        lines.append("time: " + ["forward", "quantization", "scoring", "gradients", "kl-probes", "block-errors", "validation"]
            .compactMap { s in timings[s].map { "\(s) \(String(format: "%.1f", $0)) s" } }.joined(separator: ", "))
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }
}
