import ArgumentParser
import Dispatch
import Foundation
import Model

/// `autoscheme-bench tokenizer [MODEL]`: tokenizer build time and encode throughput on the cached
/// texts. Goal: at least 1 MB of text per second (one thread).
struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Time building the tokenizer and encoding alice29.txt and lcet10.txt (MB/s, goal >= 1).")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.")
    var model: String?

    @Option(help: "Timed repetitions; the best is reported.")
    var repeats = 3

    func validate() throws {
        guard repeats > 0 else { throw ValidationError("repeats must be positive, got \(repeats)") }
    }

    func run() throws {
        let path = try ModelLoader.resolve(model)
        let description = try ModelLoader.open(path)
        var tokenizer = try Tokenizer(model: description)
        let build = try best { tokenizer = try Tokenizer(model: description) }
        let alice = try Tokenizer.loadText(URL(fileURLWithPath: try Assets.path(.alice29)))
        let lcet = try Tokenizer.loadText(URL(fileURLWithPath: try Assets.path(.lcet10)))
        print("tokenizer of \(path): \(tokenizer.vocabularySize) tokens, pre-tokenizer \(tokenizer.preTokenizer.rawValue), "
              + "best of \(repeats)")
        print(String(format: "build from model metadata: %.1f ms", build * 1e3))
        print("| text | bytes | tokens | ms | MB/s | tokens/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for (name, text) in [("alice29.txt", alice), ("lcet10.txt", lcet), ("both", alice + lcet)] {
            var count = 0
            let seconds = try best { count = tokenizer.encode(text, addSpecialTokens: false).count }
            let bytes = text.utf8.count
            print(String(format: "| %@ | %d | %d | %.1f | %.2f | %.0f |", name, bytes, count, seconds * 1e3,
                         Double(bytes) / seconds / 1e6, Double(count) / seconds))
        }
    }

    /// Best wall-clock seconds of `repeats` runs of `body`.
    private func best(_ body: () throws -> Void) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return fastest
    }
}
