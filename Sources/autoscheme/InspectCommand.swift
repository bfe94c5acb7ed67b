import ArgumentParser
import CLISupport
import Export
import Foundation
import Model
import IO

/// `autoscheme inspect [MODEL] [--json]`: architecture, blocks, linear layers, parameters, dtypes.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a model: architecture, blocks, every linear layer, parameters and stored dtypes.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default' (the cached SmolLM2-135M-Instruct).")
    var model: String?

    @Flag(help: "Print JSON: {architecture, blocks, parameters, dtypes, layers: [{name, shape, params, dtype}]}.")
    var json = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<model>": model])
    }

    func run() throws {
        let description = try QuantizedCheckpointLoader.open(try ModelLoader.resolve(model))
        print(json ? try InspectReport(description).json() : InspectReport(description).text())
    }
}

/// The facts `inspect` prints, as text or JSON.
struct InspectReport: Encodable {
    struct Layer: Encodable {
        let name: String
        let shape: [Int]
        let params: Int
        let dtype: String
    }

    let architecture: String
    let blocks: Int
    let parameters: Int
    let dtypes: [String: Int]
    let layers: [Layer]
    private let config: ModelConfig
    private let path: String
    private let ropeLayout: RopeLayout

    enum CodingKeys: String, CodingKey { case architecture, blocks, parameters, dtypes, layers }

    init(_ d: ModelDescription) {
        architecture = d.architecture
        blocks = d.config.numHiddenLayers
        parameters = d.parameterCount
        dtypes = Dictionary(uniqueKeysWithValues: d.storageCounts.map { ($0.key.rawValue, $0.value) })
        layers = d.linearLayers.map { Layer(name: $0.name, shape: $0.shape, params: $0.parameterCount, dtype: $0.storage.rawValue) }
        config = d.config
        path = d.path
        ropeLayout = d.ropeLayout
    }

    func json() throws -> String {
        try JSONPolicy.string(self)
    }

    func text() -> String {
        let c = config
        var lines = [
            "model         \(path)",
            "architecture  \(architecture)",
            "blocks        \(blocks)",
            "hidden        \(c.hiddenSize), FFN \(c.intermediateSize), heads \(c.numAttentionHeads) (KV \(c.numKeyValueHeads)), head dim \(c.headDim)",
            "vocabulary    \(c.vocabSize), tied embeddings: \(c.tieWordEmbeddings ? "yes" : "no"), RoPE base \(c.ropeTheta), Q/K layout \(ropeLayout.rawValue)",
            "parameters    \(grouped(parameters))",
            "stored dtypes " + dtypes.keys.sorted().map { "\($0) x\(dtypes[$0]!)" }.joined(separator: ", "),
            "",
            "linear layers (\(layers.count))",
            pad("name", 40) + pad("shape", 14, right: true) + pad("params", 12, right: true) + "  dtype",
        ]
        for l in layers {
            lines.append(pad(l.name, 40) + pad("\(l.shape[0])x\(l.shape[1])", 14, right: true)
                         + pad(grouped(l.params), 12, right: true) + "  " + l.dtype)
        }
        lines.append("linear parameters \(grouped(layers.reduce(0) { $0 + $1.params }))")
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
