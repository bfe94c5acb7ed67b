import Dispatch
import Formats
import Foundation
import Sensitivity

/// Plans built by fixed rules instead of the solver: the baselines a searched plan has to beat.
///
/// Both rules read the same profile as the search (exact bits and predicted scores per layer and
/// format) and meet the same budget the same way (`SearchProblem.capacity`: the achieved average
/// never exceeds the target, in the options' counting and scope). They ignore the options' sharing,
/// pins and allow-lists (a rule decides every layer itself) but honour `options.formats`.
/// A layer's formats keep the fallbacks the profile measured them with (a partial last group, edge
/// blocks): the bits and scores are the profile's, so nothing else is needed for shapes a format
/// cannot tile.
public enum BaselinePlans {
    /// The best single format for every layer: among the candidate formats that every layer has and
    /// whose exact total bits fit the budget, the one with the lowest predicted total loss (sum of
    /// the layers' scores); ties go to fewer bits, then to profile order.
    /// - Throws: `SearchError.noBaselinePlan` when no format fits (the message names the cheapest),
    ///   `SearchError.invalidBudget`, or the `SearchProblem` errors.
    /// - Complexity: O(layers x formats).
    public static func uniform(profile: SensitivityProfile, options: SearchOptions) throws -> QuantizationPlan {
        let start = DispatchTime.now().uptimeNanoseconds
        let (problem, capacity) = try prepare(profile, options)
        let formats = try candidateFormats(profile, options)
        var best: (format: QuantFormat, bits: Int, loss: Double)?
        var cheapest: (format: QuantFormat, bits: Int)?
        var feasible = 0
        for format in formats {
            guard let (bits, loss) = totals(profile, problem.counting, { _ in format }) else { continue }
            if cheapest.map({ bits < $0.bits }) ?? true { cheapest = (format, bits) }
            guard bits <= capacity else { continue }
            feasible += 1
            if best.map({ loss < $0.loss || (loss == $0.loss && bits < $0.bits) }) ?? true {
                best = (format, bits, loss)
            }
        }
        guard let best else {
            let reason = cheapest.map {
                String(format: "the cheapest format every layer has, %@, needs %.4f bits",
                       $0.format.name, problem.average(searchedBits: $0.bits))
            } ?? "no format is measured for every layer"
            throw SearchError.noBaselinePlan(rule: "uniform", target: options.averageBits, reason: reason)
        }
        let name = "uniform \(best.format.name)"
        return makePlan(problem, target: options.averageBits, capacity: capacity, tried: formats.count,
                        feasible: feasible, start: start) { _ in (best.format, name) }
    }

    /// llama.cpp's `use_more_bits(i_layer, n_layers)` (llama-quant.cpp): the first eighth of the
    /// blocks, the last eighth, and every third block in between, with C integer division:
    /// `block < n/8 || block >= 7n/8 || (block - n/8) % 3 == 2`.
    /// For 16 blocks: 0, 1, 4, 7, 10, 13, 14, 15. For 30 blocks: 0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26-29.
    public static func usesMoreBits(block: Int, of blocks: Int) -> Bool {
        precondition(blocks > 0 && (0..<blocks).contains(block), "block \(block) outside 0..<\(blocks)")
        return block < blocks / 8 || block >= 7 * blocks / 8 || (block - blocks / 8) % 3 == 2
    }

    /// Whether the depth heuristic upgrades a layer: an attention value or MLP down projection
    /// (llama.cpp's `attn_v`, `ffn_down`) in a block where `usesMoreBits` holds. This is the rule
    /// llama.cpp's Q4_K_M and Q5_K_M apply to both kinds (there Q4_K/Q5_K -> Q6_K).
    public static func isUpgraded(_ layer: ProfileLayer, blocks: Int) -> Bool {
        guard layer.kind == .v || layer.kind == .down, let block = layer.block else { return false }
        return usesMoreBits(block: block, of: blocks)
    }

    /// A depth heuristic in llama.cpp's style: every upgraded layer (`isUpgraded`) takes format
    /// `upgrade`, every other layer `base`. The pair is filled in as a user of that style would pick
    /// a K-quant mix for a size: among all pairs of candidate formats with `upgrade` costing more
    /// bits than `base` on the upgraded layers and the whole plan within the budget, the pair with
    /// the lowest predicted total loss; ties go to more bits (the budget used more fully), then to
    /// profile order. Blocks are counted as 1 + the largest block index of the profile.
    /// - Throws: `SearchError.noBaselinePlan` when no pair fits (e.g. a budget that only the cheapest
    ///   uniform format meets), `SearchError.invalidBudget`, or the `SearchProblem` errors.
    /// - Complexity: O(layers x formats^2).
    public static func depthHeuristic(profile: SensitivityProfile, options: SearchOptions) throws -> QuantizationPlan {
        let start = DispatchTime.now().uptimeNanoseconds
        let (problem, capacity) = try prepare(profile, options)
        let formats = try candidateFormats(profile, options)
        let blocks = (profile.layers.compactMap(\.block).max() ?? -1) + 1
        let upgraded = profile.layers.map { blocks > 0 && isUpgraded($0, blocks: blocks) }
        var best: (base: QuantFormat, upgrade: QuantFormat, bits: Int, loss: Double)?
        var tried = 0, feasible = 0
        for base in formats {
            for upgrade in formats where upgrade != base {
                guard let up = totals(profile, problem.counting, { upgraded[$0] ? upgrade : nil }),
                      let down = totals(profile, problem.counting, { upgraded[$0] ? base : nil }),
                      up.bits > down.bits,
                      let (bits, loss) = totals(profile, problem.counting, { upgraded[$0] ? upgrade : base })
                else { continue }
                tried += 1
                guard bits <= capacity else { continue }
                feasible += 1
                if best.map({ loss < $0.loss || (loss == $0.loss && bits > $0.bits) }) ?? true {
                    best = (base, upgrade, bits, loss)
                }
            }
        }
        guard let best else {
            let count = upgraded.filter { $0 }.count
            throw SearchError.noBaselinePlan(
                rule: "depth-heuristic", target: options.averageBits,
                reason: "none of \(tried) (base, upgrade) pairs with \(count) upgraded v/down layers of \(blocks) blocks fits")
        }
        let upName = "depth heuristic: upgraded to \(best.upgrade.name) (v/down in a use_more_bits block)"
        let baseName = "depth heuristic: base \(best.base.name)"
        return makePlan(problem, target: options.averageBits, capacity: capacity, tried: tried, feasible: feasible,
                        start: start) { upgraded[$0] ? (best.upgrade, upName) : (best.base, baseName) }
    }

    // MARK: - Shared steps

    /// The problem (for capacity and bit accounting) and the capacity of the target.
    private static func prepare(_ profile: SensitivityProfile, _ options: SearchOptions) throws -> (SearchProblem, Int) {
        guard options.averageBits.isFinite, options.averageBits > 0 else {
            throw SearchError.invalidBudget(value: options.averageBits)
        }
        let plain = SearchOptions(averageBits: options.averageBits, counting: options.counting, scope: options.scope,
                                  sharing: .none, formats: options.formats)
        let problem = try SearchProblem(profile: profile, options: plain)
        return (problem, problem.capacity(averageBits: options.averageBits))
    }

    /// The profile's formats, restricted to `options.formats` if set (unknown names are an error).
    private static func candidateFormats(_ profile: SensitivityProfile, _ options: SearchOptions) throws -> [QuantFormat] {
        guard let restriction = options.formats else { return profile.formats }
        for format in restriction where !profile.formats.contains(format) {
            throw SearchError.unknownFormat(format: format.name, rule: "--formats", available: profile.formats.map(\.name))
        }
        return profile.formats.filter(restriction.contains)
    }

    /// Total bits and score of the layers `choice` assigns a format (nil: left out); nil when a
    /// chosen format was not measured for its layer.
    private static func totals(_ profile: SensitivityProfile, _ counting: CostConvention,
                               _ choice: (Int) -> QuantFormat?) -> (bits: Int, loss: Double)? {
        var bits = 0, loss = 0.0
        for (i, layer) in profile.layers.enumerated() {
            guard let format = choice(i) else { continue }
            guard let candidate = layer.candidate(format) else { return nil }
            bits += candidate.bits[counting]
            loss += candidate.score
        }
        return (bits, loss)
    }

    /// The plan of a rule that gives layer `i` the format and rule name `decide(i)`.
    private static func makePlan(_ problem: SearchProblem, target: Double, capacity: Int, tried: Int, feasible: Int,
                                 start: UInt64, _ decide: (Int) -> (QuantFormat, String)) -> QuantizationPlan {
        let profile = problem.profile
        let layers = profile.layers.enumerated().map { i, layer -> LayerDecision in
            let (format, name) = decide(i)
            let candidate = layer.candidate(format) ?? layer.candidates[0]
            return LayerDecision(name: layer.name, format: format, bits: candidate.bits[problem.counting],
                                 parameters: layer.parameters, score: candidate.score, reason: .rule(name: name))
        }
        let loss = layers.reduce(0) { $0 + $1.score }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let statistics = SolverStatistics(choices: tried, nonDominated: feasible, afterFixing: feasible,
                                          groupsSentToMIP: 0, prover: "rule")
        let report = SolverReport(status: .rule, objective: loss, bound: 0, lpBound: 0, gap: loss > 0 ? 1 : 0,
                                  seconds: seconds, statistics: statistics)
        return problem.plan(layers: layers, averageBits: target, capacity: capacity, solver: report)
    }
}

extension SearchProblem {
    /// Average bits of a plan whose searched layers hold `searchedBits`, in this problem's scope.
    func average(searchedBits: Int) -> Double {
        Double(searchedBits + countedFixedBits) / Double(countedParameters)
    }
}
