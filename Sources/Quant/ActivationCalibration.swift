import Formats
import Model

/// The input quantizers of a plan's activation-quantized layers (W4A4, W8A8), calibrated on the
/// original model: NVFP4's per-layer global scale from the absolute maximum of the layer's inputs
/// over the calibration windows (`InputAmax`, shared by the layers of one input as auto-round's
/// fused-layer global scale); MXFP4 and FP8 activations need nothing calibrated.
public enum ActivationCalibration {
    /// Checks every activation-quantized layer's input width against its scheme's group.
    /// - Throws: `QuantError.rowLengthNotMultipleOfBlock` naming the first layer whose inputs are
    ///   not whole groups (e.g. `fp8-a8`, groups of 128, on 576 inputs).
    public static func check(_ formats: [LayerID: QuantFormat], config: ModelConfig) throws {
        for (id, f) in formats.sorted(by: { $0.key < $1.key }) {
            guard let a = f.activation else { continue }
            let inputs = config.linearShape(of: id.kind)[1]
            if !f.acceptsInputs(inputs) {
                throw QuantError.rowLengthNotMultipleOfBlock(tensor: id.description, format: "\(f.name) (\(a.rawValue) activations)",
                                                             rowLength: inputs, blockSize: a.groupSize)
            }
        }
    }

    /// The quantizers; empty (and no forward pass) for a weight-only plan.
    /// - Throws: as `check`; `QuantError.nonFiniteActivation` for a static scale over non-finite
    ///   inputs; `LlamaError` for bad windows.
    /// - Complexity: one forward of `windows` when a layer needs a calibrated scale.
    public static func inputQuantizers(model: LlamaModel, formats: [LayerID: QuantFormat], windows: [[Int]],
                                       progress: ((String) -> Void)? = nil) throws -> [LayerID: ActivationQuantizer] {
        let planned = formats.filter { $0.value.activation != nil }
        guard !planned.isEmpty else { return [:] }
        try check(planned, config: model.config)
        let amax: InputAmax? = planned.values.contains { $0.activation?.needsCalibration == true }
            ? try InputAmax.measure(model: model, windows: windows) { done, total in
                if done == total { progress?("activation scales: input maxima of \(total) blocks measured on \(windows.count) windows") }
            }
            : nil
        var out: [LayerID: ActivationQuantizer] = [:]
        for (id, f) in planned {
            out[id] = try f.inputQuantizer(calibrationAmax: amax?[id] ?? 0, layer: id.description)
        }
        return out
    }
}
