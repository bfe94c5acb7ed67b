import TensorCore

/// A Llama-family model read from a `TensorSource`, block by block.
///
/// Holds no Float32 weights itself: `loadBlock` decodes one block (about 14 MB for SmolLM2-135M),
/// so a streaming pass keeps one block in memory at a time. `resident()` loads everything for
/// repeated passes (evaluation, generation).
public struct LlamaModel: Sendable {
    public let architecture: LlamaArchitecture
    public let source: any TensorSource
    let infos: [String: TensorInfo]
    /// Input quantizers of activation-quantized layers (W4A4, W8A8), set on every block `loadBlock`
    /// returns. Empty: a weight-only model.
    public var inputQuantizers: [LayerID: any InputQuantizer] = [:]

    public var config: ModelConfig { architecture.config }

    /// Validates the configuration and that every tensor the architecture needs is present with
    /// the expected shape (without decoding any). Throws `LlamaError`.
    public init(config: ModelConfig, source: any TensorSource, ropeLayout: RopeLayout) throws {
        architecture = try LlamaArchitecture(config: config, ropeLayout: ropeLayout)
        self.source = source
        var infos: [String: TensorInfo] = [:]
        for info in source.tensorInfos { infos[info.name] = info }
        self.infos = infos
        try validateShapes()
    }

    private func validateShapes() throws {
        let c = config
        func check(_ name: String, _ shape: [Int]) throws {
            guard let info = infos[name] else { throw LlamaError.missingTensor(name) }
            guard info.shape == shape || (shape.count == 1 && info.shape == [1, shape[0]]) else {
                throw LlamaError.tensorShape(name: name, expected: shape, actual: info.shape)
            }
        }
        try check("model.embed_tokens.weight", [c.vocabSize, c.hiddenSize])
        try check("model.norm.weight", [c.hiddenSize])
        if !c.tieWordEmbeddings { try check("lm_head.weight", [c.vocabSize, c.hiddenSize]) }
        for b in 0..<c.numHiddenLayers {
            for kind in LinearKind.allCases {
                try check(LayerID(block: b, kind: kind).weightName, architecture.shape(of: kind))
            }
        }
    }

    /// Decodes block `index` to Float32, with the block's input quantizers.
    public func loadBlock(_ index: Int) throws -> LlamaBlockWeights {
        var block = try architecture.loadBlock(index, from: source, infos: infos)
        for kind in LinearKind.allCases {
            if let q = inputQuantizers[LayerID(block: index, kind: kind)] { block.inputQuantizers[kind] = q }
        }
        return block
    }

    /// Decodes embedding, final norm and LM head.
    public func loadHead() throws -> LlamaHeadWeights {
        try architecture.loadHead(from: source, infos: infos)
    }

    /// Runs block `index` with the given (possibly modified) weights on `hidden` in place.
    public func forwardBlock(index: Int, weights: LlamaBlockWeights, hidden: inout Matrix,
                             sequenceLength: Int, observer: LinearInputObserver? = nil,
                             products: LinearProductObserver? = nil) {
        precondition(index >= 0 && index < config.numHiddenLayers, "block \(index) out of range")
        architecture.forwardBlock(weights: weights, hidden: &hidden, sequenceLength: sequenceLength,
                                  observer: observer, products: products)
    }

    /// Logits of equal-length sequences (sequences x L rows, vocab columns), streaming: each block
    /// is decoded, applied to every sequence, and released before the next.
    public func logits(sequences: [[Int]]) throws -> Matrix {
        let head = try loadHead()
        let L = try Self.commonLength(sequences)
        var hidden = try architecture.embed(sequences.flatMap { $0 }, head: head)
        for b in 0..<config.numHiddenLayers {
            let w = try loadBlock(b)
            forwardBlock(index: b, weights: w, hidden: &hidden, sequenceLength: L)
        }
        return architecture.logits(hidden, head: head)
    }

    /// Loads every block and the head into memory.
    public func resident() throws -> ResidentLlama {
        ResidentLlama(architecture: architecture, head: try loadHead(),
                      blocks: try (0..<config.numHiddenLayers).map(loadBlock))
    }

    static func commonLength(_ sequences: [[Int]]) throws -> Int {
        guard let L = sequences.first?.count, L > 0 else { throw LlamaError.textTooShort(tokens: 0, needed: 1) }
        for s in sequences where s.count != L {
            throw LlamaError.unsupportedConfig(field: "sequence length", value: s.count,
                                               reason: "sequences of one batch must all have \(L) tokens")
        }
        return L
    }
}

/// A Llama-family model with all weights decoded to Float32 in memory.
public struct ResidentLlama: Sendable {
    public let architecture: LlamaArchitecture
    public var head: LlamaHeadWeights
    public var blocks: [LlamaBlockWeights]

    public init(architecture: LlamaArchitecture, head: LlamaHeadWeights, blocks: [LlamaBlockWeights]) {
        precondition(blocks.count == architecture.config.numHiddenLayers, "one weight set per block")
        self.architecture = architecture
        self.head = head
        self.blocks = blocks
    }

    public var config: ModelConfig { architecture.config }

    /// Final hidden states (before the final norm) of equal-length sequences.
    public func hiddenStates(sequences: [[Int]]) throws -> Matrix {
        let L = try LlamaModel.commonLength(sequences)
        var hidden = try architecture.embed(sequences.flatMap { $0 }, head: head)
        for w in blocks { architecture.forwardBlock(weights: w, hidden: &hidden, sequenceLength: L) }
        return hidden
    }

    /// Logits (sequences x L rows, vocab columns) of equal-length sequences.
    public func logits(sequences: [[Int]]) throws -> Matrix {
        architecture.logits(try hiddenStates(sequences: sequences), head: head)
    }

    /// Greedy decoding: appends the most likely next token `count` times (ties to the lower id),
    /// recomputing the whole prefix each step; stops early after `stop` if given.
    /// - Complexity: O(count) full forward passes over prefixes of growing length.
    public func generate(prompt: [Int], count: Int, stop: Int? = nil) throws -> [Int] {
        guard !prompt.isEmpty else { throw LlamaError.textTooShort(tokens: 0, needed: 1) }
        var tokens = prompt
        var out: [Int] = []
        for _ in 0..<count {
            let hidden = try hiddenStates(sequences: [tokens])
            let row = architecture.logits(hidden, head: head, rows: [tokens.count - 1]).data
            var best = 0
            for i in 1..<row.count where row[i] > row[best] { best = i }
            out.append(best)
            tokens.append(best)
            if best == stop { break }
        }
        return out
    }
}
