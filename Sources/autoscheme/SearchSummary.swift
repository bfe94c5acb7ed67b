import Formats
import Foundation
import Search
import Sensitivity
import IO

/// Human and JSON summaries of a plan or sweep for `autoscheme search`.
enum SearchSummary {
    /// The machine-readable summary printed by `--json` (one object, no per-layer detail).
    struct PlanLine: Codable {
        var status: SolverStatus
        var targetBits: Double
        var counting: CostConvention
        var scope: BudgetScope
        var searchedAverageBits: Double
        var modelAverageBits: Double
        var predictedLoss: Double
        var bound: Double
        var gap: Double
        var seconds: Double
        var formatCounts: [String: Int]
        /// Layers whose inputs the plan quantizes (W4A4, W8A8 formats).
        var activationQuantizedLayers: Int
        var runtime: DeploymentTarget

        enum CodingKeys: String, CodingKey {
            case status, counting, scope, bound, gap, seconds
            case targetBits = "target_bits"
            case searchedAverageBits = "searched_average_bits"
            case modelAverageBits = "model_average_bits"
            case predictedLoss = "predicted_loss"
            case formatCounts = "format_counts"
            case activationQuantizedLayers = "activation_quantized_layers"
            case runtime = "deployment_target"
        }

        init(_ plan: QuantizationPlan) {
            status = plan.solver.status
            targetBits = plan.budget.averageBits
            counting = plan.budget.counting
            scope = plan.budget.scope
            searchedAverageBits = plan.achieved.searchedAverage
            modelAverageBits = plan.achieved.modelAverage
            predictedLoss = plan.predictedLoss
            bound = plan.solver.bound
            gap = plan.solver.gap
            seconds = plan.solver.seconds
            formatCounts = Dictionary(plan.layers.map { ($0.format.name, 1) }, uniquingKeysWith: +)
            activationQuantizedLayers = plan.activationQuantizedLayers
            runtime = plan.target
        }
    }

    static func json(_ plan: QuantizationPlan) throws -> String {
        try encode(PlanLine(plan))
    }

    static func json(_ sweep: PlanSweep) throws -> String {
        try encode(sweep.plans.map(PlanLine.init))
    }

    private static func encode<T: Encodable>(_ value: T) throws -> String {
        try JSONPolicy.string(value, style: .compact)
    }

    static func text(_ plan: QuantizationPlan) -> String {
        let counts = Dictionary(plan.layers.map { ($0.format.name, 1) }, uniquingKeysWith: +)
            .sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        return String(format: """
            %@ plan: target %.4f bits (%@, %@ scope, for %@)
              achieved   %.4f bits/weight searched layers, %.4f whole model
              predicted  %.6f nats/token (bound %.6f, gap %.2e, %.1f ms)
              formats    %@
            """, plan.solver.status.rawValue, plan.budget.averageBits, plan.budget.counting.rawValue,
            plan.budget.scope.rawValue, plan.target.rawValue, plan.achieved.searchedAverage, plan.achieved.modelAverage,
            plan.predictedLoss, plan.solver.bound, plan.solver.gap, plan.solver.seconds * 1000, counts)
            + (plan.activationQuantizedLayers == 0 ? "" : String(
                format: "\n  inputs     %d layers quantize their activations, %d keep float activations",
                plan.activationQuantizedLayers, plan.layers.count - plan.activationQuantizedLayers))
    }

    static func text(_ sweep: PlanSweep) -> String {
        var lines = ["target   achieved  predicted loss  status"]
        for (point, plan) in zip(sweep.frontier, sweep.plans) {
            lines.append(String(format: "%6.3f   %8.4f  %14.6f  %@", point.targetBits, point.achievedBits,
                                point.predictedLoss, plan.solver.status.rawValue))
        }
        return lines.joined(separator: "\n")
    }
}
