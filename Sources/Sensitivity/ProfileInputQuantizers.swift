import Model
import Formats
import TensorCore

/// The input quantizers of a profile's activation formats (W4A4, W8A8), per layer and format:
/// every estimator that runs the model or its products applies them, so an activation format's
/// score measures Q(X) Q(W)^T against X W^T. NVFP4's global scale is calibrated from the absolute
/// maximum of the layer's inputs over the profile's calibration windows (`InputAmax`), as the
/// quantize stage calibrates it.
public struct ProfileInputQuantizers: Sendable {
    /// By layer, aligned with the profile's formats: nil for a weight-only format and for an
    /// activation format whose group does not divide the layer's inputs (no candidate).
    public let table: [LayerID: [ActivationQuantizer?]]

    /// No activation formats.
    public static let none = ProfileInputQuantizers(table: [:])

    /// The quantizer of format index `f` on `id`.
    public func quantizer(_ id: LayerID, _ f: Int) -> ActivationQuantizer? { table[id]?[f] }

    /// The quantizers of a plan's choices (format indices by layer), for a replay.
    public func plan(_ choices: [LayerID: Int]) -> [LayerID: any InputQuantizer] {
        var out: [LayerID: any InputQuantizer] = [:]
        for (id, f) in choices { if let q = quantizer(id, f) { out[id] = q } }
        return out
    }

    /// One forward of `windows` when a format needs a calibrated scale; nothing without activation formats.
    /// - Throws: `QuantError.nonFiniteActivation`, `LlamaError`.
    public static func make(model: LlamaModel, formats: [QuantFormat], ids: [LayerID], windows: [[Int]]) throws -> ProfileInputQuantizers {
        guard formats.contains(where: { $0.activation != nil }) else { return .none }
        let amax = formats.contains { $0.activation?.needsCalibration == true } ? try InputAmax.measure(model: model, windows: windows) : nil
        var table: [LayerID: [ActivationQuantizer?]] = [:]
        for id in ids {
            let inputs = model.config.linearShape(of: id.kind)[1]
            table[id] = try formats.map { f in
                guard f.activation != nil, f.acceptsInputs(inputs) else { return nil }
                return try f.inputQuantizer(calibrationAmax: amax?[id] ?? 0, layer: id.description)
            }
        }
        return ProfileInputQuantizers(table: table)
    }
}
