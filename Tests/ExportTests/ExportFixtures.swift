import Foundation
import XCTest
import TensorCore
import TestSupport
@testable import Export
@testable import Model
@testable import Formats
@testable import Search
@testable import Sensitivity

/// A small random Llama model (2 blocks, hidden 128, 2 query heads and 1 key/value head of 64,
/// FFN 256, vocabulary 96), seeded, and helpers to quantize it and compare logits.
enum ExportFixtures {
    static let config = TinyLlama.config(hidden: 128, layers: 2, heads: 2, kvHeads: 1, headDim: 64, ffn: 256,
                                         vocab: 96, maxPositions: 128)

    static func tensors(seed: UInt64 = 7) -> InMemoryTensors {
        TinyLlama.tensors(config, seed: seed)
    }

    static func model(layout: RopeLayout, kind: ModelSourceKind = .huggingFace) throws -> ModelDescription {
        try ModelDescription(path: "tiny-llama", kind: kind, config: config, tensors: tensors(), ropeLayout: layout)
    }

    /// One format per layer kind, so every family and int width appears: q int4/g128, k int3a/g32,
    /// v int2/g64, o int8/g128, gate mxfp4, up nvfp4, down fp8 in block 0; block 1 the same except
    /// q bf16 and k fp8 (rows 64 in one 128-row block) and v int4a/g32.
    static func formats() throws -> [String: QuantFormat] {
        var f: [String: QuantFormat] = [:]
        let b0: [LinearKind: QuantFormat] = [
            .q: try .int(bits: 4, groupSize: 128), .k: try .int(bits: 3, groupSize: 32, symmetric: false),
            .v: try .int(bits: 2, groupSize: 64), .o: try .int(bits: 8, groupSize: 128),
            .gate: .mxfp4, .up: .nvfp4, .down: .fp8,
        ]
        var b1 = b0
        b1[.q] = .bf16; b1[.k] = .fp8; b1[.v] = try .int(bits: 4, groupSize: 32, symmetric: false)
        for (b, table) in [b0, b1].enumerated() {
            for (kind, format) in table { f["model.layers.\(b).\(kind.modulePath)"] = format }
        }
        return f
    }

    /// Quantizes every linear layer of `model` (round to nearest) in its format.
    static func quantize(_ model: ModelDescription, formats: [String: QuantFormat]) throws -> [QuantizedLayer] {
        try model.linearLayers.compactMap { layer in
            guard let format = formats[layer.name] else { return nil }
            let w = Matrix(rows: layer.outFeatures, cols: layer.inFeatures, data: try model.tensors.floats(layer.weightName))
            return QuantizedLayer(module: layer.name, tensor: try format.quantizer.quantize(weights: w, name: layer.weightName))
        }
    }

    /// The model with each quantized layer replaced by its dequantized values (fake quantization).
    static func fakeQuantized(_ model: ModelDescription, layers: [QuantizedLayer]) throws -> InMemoryTensors {
        var t = try InMemoryTensors(copying: model.tensors)
        for l in layers {
            t.set(l.module + ".weight", try l.format.quantizer.dequantize(l.tensor))
        }
        return t
    }

    static let tokens = [3, 17, 42, 5, 88, 61, 9, 30, 2, 77, 14, 50]

    static func logits(config: ModelConfig, source: any TensorSource, layout: RopeLayout) throws -> Matrix {
        try LlamaModel(config: config, source: source, ropeLayout: layout).logits(sequences: [tokens])
    }

    static func maxAbsDiff(_ a: Matrix, _ b: Matrix) -> Float {
        precondition(a.data.count == b.data.count)
        return zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// A fresh temporary folder path (not created).
    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("autoscheme-export-\(getpid())-\(UUID().uuidString.prefix(8))")
            .appendingPathComponent(name)
    }

    /// A plan over `model` giving each layer in `formats` its format.
    static func plan(_ model: ModelDescription, formats: [String: QuantFormat]) -> QuantizationPlan {
        let decisions = model.linearLayers.compactMap { l -> LayerDecision? in
            guard let f = formats[l.name] else { return nil }
            return LayerDecision(name: l.weightName, format: f, bits: 0, parameters: l.parameterCount,
                                 score: 0, reason: .solver)
        }
        return QuantizationPlan(
            schema: QuantizationPlan.currentSchema,
            source: PlanSource(modelPath: model.path, fingerprint: "test", estimator: "test"),
            budget: PlanBudget(averageBits: 4, counting: .storage, scope: .searched, capacityBits: 0),
            achieved: AchievedBits(searchedBits: 0, searchedParameters: 0, searchedAverage: 0, modelBits: 0,
                                   modelParameters: 0, modelAverage: 0),
            predictedLoss: 0,
            solver: SolverReport(status: .optimal, objective: 0, bound: 0, lpBound: 0, gap: 0, seconds: 0,
                                 statistics: SolverStatistics(choices: 0, nonDominated: 0, afterFixing: 0, groupsSentToMIP: 0, prover: "test")),
            layers: decisions)
    }

    /// Runs python3 with `script` and `arguments`; nil when python3 or a module it imports is missing.
    static func python(_ script: String, _ arguments: [String]) throws -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            print("python3 could not be started: \(error)")
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errText = String(decoding: errData, as: UTF8.self)
        if p.terminationStatus != 0 {
            if errText.contains("ModuleNotFoundError") || p.terminationStatus == 127 {
                print("python3 unavailable: \(errText.suffix(300))")
                return nil
            }
            XCTFail("python3 failed: \(errText)")
            return ""
        }
        return String(decoding: data, as: UTF8.self)
    }
}
