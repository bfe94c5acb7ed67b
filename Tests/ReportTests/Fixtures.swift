import Foundation
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
import Model
#endif
import Formats
import Search
import Sensitivity
@testable import Report

/// Hand-built inputs with numbers small enough to check by hand.
enum Fixtures {
    /// A layer of shape [4, 8] (32 weights) with one score and bit count per format.
    static func layer(_ name: String, block: Int?, kind: LinearKind?, scores: [Double], bits: [Int],
                      formats: [QuantFormat]) -> ProfileLayer {
        ProfileLayer(name: name, block: block, kind: kind, shape: [4, 8], parameters: 32, fusedGroup: nil,
                     candidates: zip(formats, zip(scores, bits)).map {
                         FormatCandidate(format: $0.0, score: $0.1.0, bits: .init(storage: $0.1.1, autoround: $0.1.1))
                     })
    }

    /// Weird but legal layer name: markup characters must come out escaped and intact.
    static let trickyName = "model.layers.1.mlp.down_proj<&\"'>.weight"

    /// Two blocks x (q, down), 32 weights each; formats int2/g128 (80 bits per layer), int4/g128 (144),
    /// bf16 (512). int2 scores 0.4, 0.1, 0.2, 0.05; int4 a tenth of those; bf16 0. One fixed tensor of
    /// 64 weights stored in 1024 bits. Extra formats (all-zero scores, `extraBits` bits) are appended.
    static func tinyProfile(extra: [QuantFormat] = [], extraBits: Int = 160) -> SensitivityProfile {
        let formats: [QuantFormat] = ["int2/g128", "int4/g128", "bf16"] + extra
        let int2 = [0.4, 0.1, 0.2, 0.05]
        let names = ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight",
                     "model.layers.1.self_attn.q_proj.weight", trickyName]
        let layers = (0..<4).map { i in
            layer(names[i], block: i / 2, kind: i % 2 == 0 ? .q : .down,
                  scores: [int2[i], int2[i] / 10, 0] + extra.map { _ in 0 },
                  bits: [80, 144, 512] + extra.map { _ in extraBits }, formats: formats)
        }
        return SensitivityProfile(
            model: ModelIdentity(path: "/models/tiny.gguf", architecture: "llama", fingerprint: "abc", totalParameters: 192,
                                 fixedTensors: [FixedTensor(name: "model.embed_tokens.weight", parameters: 64, bits: 1024)]),
            calibration: CalibrationSettings(file: "lcet10.txt", sha256: "00ff", samples: 2, sequenceLength: 16, seed: 3, tokens: 32),
            estimator: "calibrated", formats: formats, layers: layers)
    }

    /// The optimal plan at 3.5 bits over the searched layers, every layer choosing alone: int4 on layers
    /// 0 and 2 (the two largest int2 scores), int2 elsewhere: 448 bits, predicted loss 0.21.
    static func tinyPlan(_ profile: SensitivityProfile) throws -> QuantizationPlan {
        try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 3.5, sharing: SharingRule.none))
    }

    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: TestScratch.path("report-tests"))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Parses markup as XML and collects its text, or the parser's error.
final class XMLCheck: NSObject, XMLParserDelegate {
    private(set) var text = ""
    private(set) var elements: [String: Int] = [:]
    private(set) var error: Error?

    static func parse(_ markup: String) -> XMLCheck {
        let check = XMLCheck()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = check
        if !parser.parse() { check.error = parser.parserError ?? CocoaError(.fileReadCorruptFile) }
        return check
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements[name, default: 0] += 1
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}
