import Export
import Foundation
import Quant
import Formats

/// The table of `bench signround --scope block`: step-loop time per block and per iteration, and
/// the whole-model estimate (mean block time x the model's block count, plus the calibration
/// forwards measured here scaled the same way).
struct BenchBlockSignRound {
    let stats: [LayerQuantizeStats]
    let blocks: Int
    let modelBlocks: Int
    let total: Double
    let header: String
    let iterations: Int

    func print() {
        Swift.print(header)
        Swift.print("| block | step loop s | s per iteration | block MSE rtn | block MSE tuned | best iteration |")
        Swift.print("|---:|---:|---:|---:|---:|---:|")
        var loop = 0.0
        for b in 0..<blocks {
            let rows = stats.filter { $0.name.hasPrefix("model.layers.\(b).") }
            guard let first = rows.first else { continue }
            let seconds = rows.reduce(0) { $0 + $1.seconds }
            loop += seconds
            Swift.print("| \(b) | \(f(seconds, 2)) | \(f(seconds / Double(max(iterations, 1)), 3)) | \(String(format: "%.4g", first.rtnError)) "
                        + "| \(String(format: "%.4g", first.signRoundError)) | \(first.bestIteration) |")
        }
        let perBlock = total / Double(max(blocks, 1))
        Swift.print("")
        Swift.print("| part | seconds |")
        Swift.print("|---|---:|")
        Swift.print("| step loops (\(blocks) blocks) | \(f(loop, 1)) |")
        Swift.print("| calibration forwards, bookkeeping | \(f(total - loop, 1)) |")
        Swift.print("| whole run | \(f(total, 1)) |")
        Swift.print("| whole model estimate (\(modelBlocks) blocks) | \(f(perBlock * Double(modelBlocks), 0)) |")
        Swift.print("Load average at the end: \(loadAverage()) (other processes share the cores).")
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }

    private func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}
