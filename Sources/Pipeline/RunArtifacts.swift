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

    /// Output paths by role, for the summary.
    static func files(in output: String, checkpoint format: CheckpointFormat) -> [String: String] {
        let base = URL(fileURLWithPath: output)
        return [
            "profile": base.appendingPathComponent(profile).path,
            "plan": base.appendingPathComponent(plan).path,
            "sweep": base.appendingPathComponent(sweep).path,
            "eval": base.appendingPathComponent(eval).path,
            "checkpoint (\(format.rawValue))": base.appendingPathComponent(checkpoint).path,
            "quantize stats": base.appendingPathComponent(checkpoint).appendingPathComponent(QuantizeStats.fileName).path,
            "report": base.appendingPathComponent("report.html").path,
            "summary": base.appendingPathComponent(summary).path,
        ]
    }
}
