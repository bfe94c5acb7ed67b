import Model

/// Replacement values for tensors other than the quantized linear layers (the norm weights that
/// block-wise SignRound tunes), checked against the model before anything is written.
enum TensorReplacements {
    /// - Throws: `QuantizedCheckpointError.badReplacement` for a name the model lacks or a value
    ///   count other than the tensor's element count.
    static func check(_ replacements: [String: [Float]], infos: [TensorInfo]) throws {
        guard !replacements.isEmpty else { return }
        let byName = Dictionary(infos.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, values) in replacements.sorted(by: { $0.key < $1.key }) {
            guard let info = byName[name] else {
                throw QuantizedCheckpointError.badReplacement(tensor: name, expected: "a tensor of the model", actual: "no such tensor")
            }
            guard values.count == info.elementCount else {
                throw QuantizedCheckpointError.badReplacement(tensor: name, expected: "\(info.elementCount) values (shape \(info.shape))",
                                                              actual: "\(values.count) values")
            }
        }
    }
}
