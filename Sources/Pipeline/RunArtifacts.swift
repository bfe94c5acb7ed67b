import Foundation
import Export
import Quant
import Formats

/// The files `autoscheme run` leaves in its output folder, and how they are encoded.
enum RunArtifacts {
    static let profile = "profile.json"
    static let plan = "plan.json"
    static let sweep = "sweep.json"
    static let eval = "eval.json"
    static let summary = "summary.json"
    static let checkpoint = "model"

    /// The checkpoint's name in the output folder: `model` (a folder), or `model.gguf` (one file).
    static func checkpointName(_ format: CheckpointFormat) -> String { format == .gguf ? checkpoint + ".gguf" : checkpoint }

    /// Output paths by role, for the summary.
    static func files(in output: String, checkpoint format: CheckpointFormat) -> [String: String] {
        let base = URL(fileURLWithPath: output)
        return [
            "profile": base.appendingPathComponent(profile).path,
            "plan": base.appendingPathComponent(plan).path,
            "sweep": base.appendingPathComponent(sweep).path,
            "eval": base.appendingPathComponent(eval).path,
            "checkpoint (\(format.rawValue))": base.appendingPathComponent(checkpointName(format)).path,
            "quantize stats": (format == .gguf ? base : base.appendingPathComponent(checkpoint))
                .appendingPathComponent(QuantizeStats.fileName).path,
            "report": base.appendingPathComponent("report.html").path,
            "summary": base.appendingPathComponent(summary).path,
        ]
    }
}
