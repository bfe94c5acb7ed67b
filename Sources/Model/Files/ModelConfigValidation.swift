import IO

/// The one check of a model's configuration, for config.json and GGUF metadata alike, made when a
/// model is opened and before anything is sized from it (RoPE tables, caches, activations).
extension ModelConfig {
    /// Checks every size against `InputLimits` and against the others: hidden, intermediate and
    /// vocabulary sizes in 1...2^24; blocks in 1...2^16; heads and key/value heads in 1...2^16 with
    /// the key/value heads dividing the heads; head size even, in 2...2^16, with heads x head size
    /// at most 2^24; context length in 1...2^24; RoPE base and RMSNorm epsilon finite and > 0;
    /// BOS/EOS ids inside the vocabulary.
    /// - Parameter path: the config file (or GGUF file) for messages.
    /// - Throws: `ModelFileError.badConfig` naming the key (Hugging Face's name), the value and the bound.
    public func validate(path: String) throws {
        func require(_ ok: Bool, _ key: CodingKeys, _ value: Any, _ expected: String) throws {
            guard ok else { throw ModelFileError.badConfig(path: path, key: key.rawValue, value: "\(value)", expected: expected) }
        }
        let dim = InputLimits.dimension, small = 1 << 16
        try require((1...dim).contains(hiddenSize), .hiddenSize, hiddenSize, "1...\(dim)")
        try require((1...dim).contains(intermediateSize), .intermediateSize, intermediateSize, "1...\(dim)")
        try require((1...dim).contains(vocabSize), .vocabSize, vocabSize, "1...\(dim)")
        try require((1...InputLimits.blocks).contains(numHiddenLayers), .numHiddenLayers, numHiddenLayers,
                    "1...\(InputLimits.blocks)")
        try require((1...small).contains(numAttentionHeads), .numAttentionHeads, numAttentionHeads, "1...\(small)")
        try require((1...numAttentionHeads).contains(numKeyValueHeads) && numAttentionHeads % numKeyValueHeads == 0,
                    .numKeyValueHeads, numKeyValueHeads, "1...\(numAttentionHeads) dividing num_attention_heads")
        try require((2...small).contains(headDim) && headDim % 2 == 0, .headDim, headDim,
                    "an even size in 2...\(small) (RoPE rotates pairs)")
        try require(numAttentionHeads * headDim <= dim, .headDim, headDim,
                    "at most \(dim / numAttentionHeads) (heads x head size at most \(dim))")
        try require((1...dim).contains(maxPositionEmbeddings), .maxPositionEmbeddings, maxPositionEmbeddings, "1...\(dim)")
        try require(ropeTheta.isFinite && ropeTheta > 0, .ropeTheta, ropeTheta, "a finite number > 0")
        if let scaledRope {
            throw ModelFileError.badConfig(path: path, key: scaledRope.key, value: scaledRope.type,
                                           expected: "\"default\" (plain RoPE; scaled RoPE is not run by this project)")
        }
        try require(rmsNormEps.isFinite && rmsNormEps > 0, .rmsNormEps, rmsNormEps, "a finite number > 0")
        if let bosTokenId { try require((0..<vocabSize).contains(bosTokenId), .bosTokenId, bosTokenId, "in 0..<\(vocabSize)") }
        if let eosTokenId { try require((0..<vocabSize).contains(eosTokenId), .eosTokenId, eosTokenId, "in 0..<\(vocabSize)") }
    }

    /// Checks that every block's linear weights have the shapes the configuration implies
    /// (`linearShape(of:)`), so nothing sized from the configuration disagrees with the bytes present.
    /// - Throws: `ModelFileError.badShape` naming the tensor and the expected shape.
    static func checkShapes(_ layers: [LinearLayer], config: ModelConfig, path: String) throws {
        for layer in layers {
            let expected = config.linearShape(of: layer.kind)
            guard layer.shape == expected else {
                throw ModelFileError.badShape(path: path, tensor: layer.weightName, shape: layer.shape,
                                              reason: "the configuration implies \(expected)")
            }
        }
    }
}
