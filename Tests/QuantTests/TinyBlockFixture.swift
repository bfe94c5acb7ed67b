import TestSupport
@testable import Formats
@testable import Model

/// The block-wise tests' setting: the tiny two-block model (`TinyModel`, seed 4), calibration
/// windows of 16 tokens cut from seeded tokens, and one format for every linear layer.
enum TinyBlockFixture {
    /// Tokens per window.
    static let length = 16

    static func model() throws -> LlamaModel {
        try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
    }

    /// `count` consecutive windows of `length` tokens.
    static func windows(_ count: Int, seed: UInt64 = 9) -> [[Int]] {
        let t = TinyModel.tokens(count * length, seed: seed)
        return (0..<count).map { Array(t[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// `name` for every linear layer of both blocks.
    static func formats(_ name: String) throws -> [LayerID: QuantFormat] {
        let f = try QuantFormat(parsing: name)
        var out: [LayerID: QuantFormat] = [:]
        for b in 0..<TinyModel.config.numHiddenLayers { for k in LinearKind.allCases { out[LayerID(block: b, kind: k)] = f } }
        return out
    }
}
