import TensorCore

/// Reruns the tail of a model from cached block inputs with some linear layers replaced, and
/// measures the effect on the output distribution (the sensitivity profiler's inner loop).
///
/// At construction the original model runs once over the windows, caching every block's input
/// (samples x L x hidden Float32 per block) and the original log-probabilities at the scored rows.
/// Each query then starts at the first replaced block, so blocks before it are never recomputed,
/// and applies the final norm and the LM head (one sgemm) only to the scored rows.
public final class LayerReplay {
    public let model: LlamaModel
    /// Tokens per window.
    public let sequenceLength: Int
    /// Rows (sample * L + position) at which logits are computed and compared.
    public let scoredRows: [Int]
    private let head: LlamaHeadWeights
    private let blocks: [LlamaBlockWeights]?
    private var blockInputs: [Matrix]
    private let referenceLogProbs: Matrix

    /// Which positions of each window are scored.
    public enum ScoredPositions: Sendable, Equatable {
        /// Every position.
        case all
        /// The last `n` positions of each window (the ones with the most context).
        case last(Int)
        /// Positions 0, s, 2s, ... of each window.
        case stride(Int)
    }

    /// Runs the original model over `windows` (equal length) and caches what queries need.
    /// `residentWeights` keeps every block decoded (faster queries, about 4 bytes per parameter).
    /// - Complexity: one forward pass plus 2 x scored rows x hidden x vocab flops for the head.
    public init(model: LlamaModel, windows: [[Int]], scored: ScoredPositions = .all,
                residentWeights: Bool = true) throws {
        let L = try LlamaModel.commonLength(windows)
        self.model = model
        sequenceLength = L
        let positions: [Int]
        switch scored {
        case .all: positions = Array(0..<L)
        case .last(let n): positions = Array(max(0, L - n)..<L)
        case .stride(let s): positions = Array(Swift.stride(from: 0, to: L, by: max(1, s)))
        }
        scoredRows = windows.indices.flatMap { s in positions.map { s * L + $0 } }
        head = try model.loadHead()
        var hidden = try model.architecture.embed(windows.flatMap { $0 }, head: head)
        var inputs: [Matrix] = []
        var loaded: [LlamaBlockWeights] = []
        for b in 0..<model.config.numHiddenLayers {
            inputs.append(hidden)
            let w = try model.loadBlock(b)
            model.forwardBlock(index: b, weights: w, hidden: &hidden, sequenceLength: L)
            if residentWeights { loaded.append(w) }
        }
        inputs.append(hidden)
        blockInputs = inputs
        blocks = residentWeights ? loaded : nil
        var logits = model.architecture.logits(hidden, head: head, rows: scoredRows)
        Self.logSoftmaxRows(&logits)
        referenceLogProbs = logits
    }

    /// The cached input of block `index` (index == numHiddenLayers: the final hidden states).
    public func blockInput(_ index: Int) -> Matrix { blockInputs[index] }

    /// Logits at the scored rows (scored x vocab) of the model with `replacements` applied, and the
    /// layers of `inputQuantizers` quantizing their inputs (activation formats).
    /// Throws `LlamaError.replacementShape` / `.blockOutOfRange` for a bad replacement.
    public func logits(replacing replacements: [LayerID: Matrix],
                       inputQuantizers: [LayerID: any InputQuantizer] = [:]) throws -> Matrix {
        let config = model.config
        for (id, w) in replacements {
            guard id.block >= 0 && id.block < config.numHiddenLayers else {
                throw LlamaError.blockOutOfRange(index: id.block, blocks: config.numHiddenLayers)
            }
            let shape = config.linearShape(of: id.kind)
            guard [w.rows, w.cols] == shape else {
                throw LlamaError.replacementShape(layer: id.description, expected: shape, actual: [w.rows, w.cols])
            }
        }
        let start = (replacements.keys.map(\.block) + inputQuantizers.keys.map(\.block)).min() ?? config.numHiddenLayers
        var hidden = blockInputs[start]
        for b in start..<config.numHiddenLayers {
            var w = try blocks?[b] ?? model.loadBlock(b)
            for kind in LinearKind.allCases {
                if let r = replacements[LayerID(block: b, kind: kind)] { w[kind] = r }
                if let q = inputQuantizers[LayerID(block: b, kind: kind)] { w.inputQuantizers[kind] = q }
            }
            model.forwardBlock(index: b, weights: w, hidden: &hidden, sequenceLength: sequenceLength)
        }
        return model.architecture.logits(hidden, head: head, rows: scoredRows)
    }

    /// Mean KL(original || replaced) over the scored rows, in nats per token.
    public func meanKL(replacing replacements: [LayerID: Matrix],
                       inputQuantizers: [LayerID: any InputQuantizer] = [:]) throws -> Double {
        let logits = try logits(replacing: replacements, inputQuantizers: inputQuantizers)
        let vocab = logits.cols
        var total = 0.0
        referenceLogProbs.data.withUnsafeBufferPointer { pr in
            logits.data.withUnsafeBufferPointer { pq in
                for r in 0..<logits.rows {
                    total += Divergence.kl(referenceLogProbs: UnsafeBufferPointer(rebasing: pr[(r * vocab)..<((r + 1) * vocab)]),
                                           other: UnsafeBufferPointer(rebasing: pq[(r * vocab)..<((r + 1) * vocab)]))
                }
            }
        }
        return total / Double(max(logits.rows, 1))
    }

    /// Replaces each row of logits by its log-softmax (log Z from `Divergence.logPartition`).
    static func logSoftmaxRows(_ m: inout Matrix) {
        let rows = m.rows, cols = m.cols
        m.data.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: p[(r * cols)..<((r + 1) * cols)])
                let lz = Float(Divergence.logPartition(UnsafeBufferPointer(row)))
                for j in 0..<cols { row[j] -= lz }
            }
        }
    }
}
