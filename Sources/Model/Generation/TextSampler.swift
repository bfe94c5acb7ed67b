import Foundation
import TensorCore

/// Windows the model wrote itself: prompts continued by sampling from its own next-token
/// distributions (ancestral sampling with a temperature), with the model's final hidden states at
/// every position, computed on the way.
public struct SampledWindows: Sendable {
    /// Each window's tokens: its prompt, then the sampled continuation; all `length` long.
    public var tokens: [[Int]]
    /// Final hidden states before the final norm, windows x length rows (window w's position p at row
    /// w x length + p): `ResidentLlama.hiddenStates(sequences: tokens)` up to Float summation order.
    public var hidden: Matrix
}

/// Draws a token from logits at a temperature.
public enum TokenSampling {
    /// Token i with probability exp((l_i - max) / temperature) / sum, by inverse transform of `u` in
    /// [0, 1) over the vocabulary in id order (sums in Double); temperature 0 takes the largest logit
    /// (ties to the lower id). Non-finite logits never win.
    public static func draw(_ logits: UnsafeBufferPointer<Float>, temperature: Float, u: Double) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] || !logits[best].isFinite { best = i }
        guard temperature > 0 else { return best }
        let top = Double(logits[best]), inv = 1 / Double(temperature)
        var total = 0.0
        for l in logits where l.isFinite { total += Foundation.exp((Double(l) - top) * inv) }
        let target = u * total
        var sum = 0.0
        for (i, l) in logits.enumerated() where l.isFinite {
            sum += Foundation.exp((Double(l) - top) * inv)
            if sum > target { return i }
        }
        return best
    }
}

extension ResidentLlama {
    /// Continues each prompt to `length` tokens by sampling from the model at `temperature`
    /// (`TokenSampling.draw`), decoding one position at a time with a key/value cache. The prompts
    /// are split into one share per core, each decoded together in its own single-threaded task (the
    /// products of a few dozen rows cost less than handing halves to other threads). Prompt w draws
    /// its uniforms from SplitMix64(seed ^ (w + 1) x 0x9E3779B97F4A7C15), one per sampled token, so
    /// the windows do not depend on how the prompts are shared out.
    /// - Throws: `LlamaError.textTooShort` for an empty prompt list, `.unsupportedConfig` for prompts of
    ///   unequal or zero length or not shorter than `length`, `.tokenOutOfRange` for a bad token.
    /// - Complexity: length decoding steps of 2 x prompts x (linear parameters + hidden x vocab) flops,
    ///   plus attention; memory prompts x length x kv width x blocks x 2 Floats of cache.
    /// - Parameter progress: positions done (of `length`), from the first share's task.
    public func sample(prompts: [[Int]], length: Int, temperature: Float, seed: UInt64,
                       progress: ((Int) -> Void)? = nil) throws -> SampledWindows {
        let promptLength = try LlamaModel.commonLength(prompts)
        guard promptLength < length else {
            throw LlamaError.unsupportedConfig(field: "prompt length", value: promptLength,
                                               reason: "must be shorter than the \(length) tokens of a sampled window")
        }
        guard temperature >= 0, temperature.isFinite else {
            throw LlamaError.unsupportedConfig(field: "temperature", value: Int(temperature),
                                               reason: "must be finite and >= 0, got \(temperature)")
        }
        let n = prompts.count, parts = min(n, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let bounds = (0...parts).map { $0 * n / parts }
        var results = [Result<SampledWindows, Error>?](repeating: nil, count: parts)
        let report = FirstTaskProgress(call: progress)
        results.withUnsafeMutableBufferPointer { pr in
            let out = SharedBuffer(pr)
            parallelFor(parts, blasThreadsPerTask: 1) { part in
                let range = bounds[part]..<bounds[part + 1]
                out[part] = Result {
                    try decode(prompts: Array(prompts[range]), first: range.lowerBound, length: length,
                               temperature: temperature, seed: seed, progress: part == 0 ? report.call : nil)
                }
            }
        }
        var tokens: [[Int]] = [], hidden: [Float] = []
        hidden.reserveCapacity(n * length * config.hiddenSize)
        for r in results {
            let share = try r!.get()   // a bad prompt token: the first share's error, as a serial decode would give
            tokens += share.tokens
            hidden += share.hidden.data
        }
        return SampledWindows(tokens: tokens, hidden: Matrix(rows: n * length, cols: config.hiddenSize, data: hidden))
    }

    /// `sample` of prompts `first`, `first` + 1, ... (their seeds' indices) in the calling thread.
    private func decode(prompts: [[Int]], first: Int, length: Int, temperature: Float, seed: UInt64,
                        progress: ((Int) -> Void)?) throws -> SampledWindows {
        let n = prompts.count, promptLength = prompts[0].count, width = config.hiddenSize, vocab = config.vocabSize
        var tokens = prompts
        var rngs = (0..<n).map { SplitMix64(seed: seed ^ (UInt64(first + $0 + 1) &* 0x9E37_79B9_7F4A_7C15)) }
        var hidden = Matrix(rows: n * length, cols: width)
        var cache = KeyValueCache(blocks: blocks.count, sequences: n, capacity: length, width: config.keyValueWidth)
        for p in 0..<length {
            let h = try architecture.decodeStep(blocks: blocks, head: head, tokens: tokens.map { $0[p] }, position: p,
                                                 cache: &cache)
            for w in 0..<n {
                hidden.data.replaceSubrange(((w * length + p) * width)..<((w * length + p + 1) * width),
                                            with: h.data[(w * width)..<((w + 1) * width)])
            }
            progress?(p + 1)
            guard p + 1 < length, p + 1 >= promptLength else { continue }
            let logits = architecture.logits(h, head: head)
            logits.data.withUnsafeBufferPointer { pl in
                for w in 0..<n {
                    let u = Double(rngs[w].next() >> 11) * 0x1p-53
                    tokens[w].append(TokenSampling.draw(UnsafeBufferPointer(start: pl.baseAddress! + w * vocab, count: vocab),
                                                        temperature: temperature, u: u))
                }
            }
        }
        return SampledWindows(tokens: tokens, hidden: hidden)
    }
}

/// The progress callback of `ResidentLlama.sample`, handed to the first decoding task only (never
/// called from two threads).
private struct FirstTaskProgress: @unchecked Sendable {
    let call: ((Int) -> Void)?
}
