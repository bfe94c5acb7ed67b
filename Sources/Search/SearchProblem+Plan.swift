import Foundation
import Sensitivity

extension SearchProblem {
    /// The plan file for `layers` (one decision per profile layer, in profile order), searched for
    /// `target` average bits with `capacity` searched-layer bits: achieved bits for the searched layers
    /// (sum of the decisions' bits / searched parameters) and the whole model (plus the fixed tensors'
    /// stored bits and parameters); predicted loss = sum of the decisions' scores (nats/token).
    func plan(layers: [LayerDecision], averageBits target: Double, capacity: Int,
              solver: SolverReport) -> QuantizationPlan {
        let searchedBits = layers.reduce(0) { $0 + $1.bits }
        let modelBits = searchedBits + fixedBits
        let modelParameters = searchedParameters + fixedParameters
        let achieved = AchievedBits(
            searchedBits: searchedBits, searchedParameters: searchedParameters,
            searchedAverage: Double(searchedBits) / Double(searchedParameters),
            modelBits: modelBits, modelParameters: modelParameters,
            modelAverage: Double(modelBits) / Double(modelParameters))
        return QuantizationPlan(
            schema: QuantizationPlan.currentSchema,
            source: PlanSource(modelPath: profile.model.path, fingerprint: profile.model.fingerprint,
                               estimator: profile.estimator),
            budget: PlanBudget(averageBits: target, counting: counting, scope: scope, capacityBits: capacity),
            achieved: achieved, predictedLoss: layers.reduce(0) { $0 + $1.score }, solver: solver, layers: layers,
            target: self.target)
    }
}
