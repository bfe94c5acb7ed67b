import ArgumentParser
import Export
import Quant
import Search
import Sensitivity
import Formats

// The library enums the tools take as option values (help lists their cases).
extension CostConvention: ExpressibleByArgument {}
extension BudgetScope: ExpressibleByArgument {}
extension SensitivityEstimator: ExpressibleByArgument {}
extension QuantizeMethod: ExpressibleByArgument {}
extension SignRoundScope: ExpressibleByArgument {}
extension SignRoundStart: ExpressibleByArgument {}
extension BlockLoss: ExpressibleByArgument {}
extension BlockKeptIteration: ExpressibleByArgument {}
extension EndToEndWindows: ExpressibleByArgument {}
extension QuantizeRecipe: ExpressibleByArgument {}
extension GGUFEmbeddingType: ExpressibleByArgument {}
extension SignRoundStepProduct: ExpressibleByArgument {}
extension CheckpointFormat: ExpressibleByArgument {}
extension PlanExportTarget: ExpressibleByArgument {}
extension DeploymentTarget: ExpressibleByArgument {}
