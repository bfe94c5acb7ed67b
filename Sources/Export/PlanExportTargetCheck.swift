import Formats
import Search

extension PlanExportTarget {
    /// The runtime whose table `export-plan` checks a plan against; nil where the export is not
    /// checked (`json` holds every format). `llamacpp` is checked by `PlanExportLlamaCpp` itself:
    /// a ggml type on rows that are not whole super-blocks, which the target refuses in a search,
    /// is written as the fallback type the plan's profile measured (what llama-quantize stores).
    public var deploymentTarget: DeploymentTarget? {
        switch self {
        case .autoround: return .autoround
        case .llmcompressor: return .llmcompressor
        case .llamacpp: return .llamacpp
        case .json: return nil
        }
    }
}

/// Checks plan layers against a target's table before they are exported.
public enum PlanExportTargetCheck {
    /// How many refused layers an error names.
    public static let exampleCount = 3

    /// `layers` with each format replaced by the one the target stores (e.g. `int2/g64` for
    /// `int2/g128` on 576 inputs under `autoround`, whose own exporter would otherwise write a group
    /// its kernels refuse).
    /// - Throws: `PlanExportError.targetCannotHold` naming the first refused layers, their count and
    ///   what the target accepts.
    public static func deployable(_ layers: [PlanExportLayer], target: DeploymentTarget,
                                  file: String) throws -> [PlanExportLayer] {
        var refused: [String] = []
        let out = layers.map { l -> PlanExportLayer in
            let shape = TensorShape(rows: l.layer.outFeatures, cols: l.layer.inFeatures)
            switch target.verdict(l.format, shape: shape) {
            case .loads: return l
            case .storedAs(let stored, _):
                var copy = l
                copy.format = stored
                return copy
            case .refused(let reason, _):
                refused.append("\(l.module) (\(l.format.name)): \(reason)")
                return l
            }
        }
        guard refused.isEmpty else {
            throw PlanExportError.targetCannotHold(file: file, target: target.rawValue, examples: Array(refused.prefix(exampleCount)),
                                                   count: refused.count, accepts: target.accepts)
        }
        return out
    }
}
