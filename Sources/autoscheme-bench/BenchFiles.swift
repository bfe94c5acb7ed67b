import ArgumentParser
import CLISupport
import Foundation
import Model

/// `autoscheme-bench files [MODEL]`: time to open a model and list its tensors, and to dequantize
/// every tensor to Float32. Goals on the default model (2 cores): open < 0.5 s, dequantize < 2 s.
struct BenchFilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Time opening a model file and dequantizing all of its tensors.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.")
    var model: String?

    @Option(help: "Repetitions; the best time is reported.")
    var repeats = 3

    func run() throws {
        let path = try ModelLoader.resolve(model)
        var openBest = Double.infinity, decodeBest = Double.infinity
        var tensors = 0, elements = 0
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let d = try ModelLoader.open(path)
            tensors = d.tensors.tensorInfos.count
            let t1 = DispatchTime.now().uptimeNanoseconds
            elements = 0
            for info in d.tensors.tensorInfos { elements += try d.tensors.floats(info.name).count }
            let t2 = DispatchTime.now().uptimeNanoseconds
            openBest = min(openBest, Double(t1 - t0) * 1e-9)
            decodeBest = min(decodeBest, Double(t2 - t1) * 1e-9)
        }
        print("model: \(path)  (\(tensors) tensors, \(grouped(elements)) values, best of \(max(1, repeats)))")
        print("| step                 | seconds | goal    | values/s |")
        print("|----------------------|---------|---------|----------|")
        print(row("open + list tensors", openBest, goal: 0.5, rate: nil))
        print(row("dequantize all (f32)", decodeBest, goal: 2.0, rate: Double(elements) / decodeBest))
    }

    private func row(_ name: String, _ seconds: Double, goal: Double, rate: Double?) -> String {
        let r = rate.map { String(format: "%.2fG", $0 / 1e9) } ?? "-"
        return "| " + name.padding(toLength: 20, withPad: " ", startingAt: 0)
            + String(format: " | %7.3f | < %.1f s | ", seconds, goal)
            + String(repeating: " ", count: max(0, 8 - r.count)) + r + " |"
    }
}
