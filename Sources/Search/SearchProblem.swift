import Formats
import Foundation
import Sensitivity

/// A set of layers that must take one format, and the formats it may take.
public struct LayerGroup: Sendable, Equatable {
    /// Group id: the shared id (fused module, MoE block, captured text) or the layer's own name.
    public var id: String
    /// Indices into the profile's layers.
    public var members: [Int]
    /// Indices into the profile's formats that the group may take, in profile order.
    public var allowed: [Int]
    /// The pin fixing the group, if any.
    public var pin: PinRule?
}

/// A profile turned into a knapsack: groups, allowed formats, costs under one counting convention.
/// Built once per profile and options; `instance(capacity:)` gives the knapsack for one budget.
public struct SearchProblem: Sendable {
    public let profile: SensitivityProfile
    public let counting: CostConvention
    public let scope: BudgetScope
    /// The runtime the plan is for (`SearchOptions.target`).
    public let target: DeploymentTarget
    public let groups: [LayerGroup]
    /// bits[g][j], scores[g][j] for the j-th allowed format of group g (sums over the members).
    let bits: [[Int]]
    let scores: [[Double]]
    /// Parameters of the searched layers.
    public let searchedParameters: Int
    /// Parameters and stored bits of the fixed tensors.
    public let fixedParameters: Int
    public let fixedBits: Int
    /// Summary of what narrows the feasible range, for error messages.
    let narrowing: String
    /// Least searched bits with every layer free (no pins, shares or allow-lists).
    let unconstrainedMinimumBits: Int

    /// - Throws: `SearchError` for unknown formats, bad patterns, conflicting pins or allow-lists.
    public init(profile: SensitivityProfile, options: SearchOptions) throws {
        guard !profile.layers.isEmpty else { throw SearchError.emptyProfile }
        self.profile = profile
        counting = options.counting
        scope = options.scope
        target = options.target
        if options.target.requiresFusedSharing, options.sharing == .none {
            throw SearchError.targetNeedsSharing(target: options.target.rawValue)
        }
        let formatIndex = Dictionary(uniqueKeysWithValues: profile.formats.enumerated().map { ($1, $0) })
        let available = profile.formats.map(\.name)
        func index(_ format: QuantFormat, _ rule: String) throws -> Int {
            guard let i = formatIndex[format] else {
                throw SearchError.unknownFormat(format: format.name, rule: rule, available: available)
            }
            return i
        }
        var base = Set(profile.formats.indices)
        if let restriction = options.formats {
            base = Set(try restriction.map { try index($0, "--formats") })
            // An activation format asked for by name that the target refuses everywhere is a request
            // the runtime cannot serve, not a narrowing: say so rather than search without it.
            for f in restriction where f.activation != nil {
                let verdicts = profile.layers.map { options.target.verdict(f, shape: $0.tensorShape) }
                if verdicts.allSatisfy({ if case .refused = $0 { return true } else { return false } }),
                   case let .refused(reason, _)? = verdicts.first {
                    throw SearchError.targetCannotRunActivations(target: options.target.rawValue, format: f.name, reason: reason)
                }
            }
        }
        let pinIndices = try options.pins.map { try index($0.format, "pin \($0)") }
        let allowSets = try options.allows.map { rule in Set(try rule.formats.map { try index($0, "allow \(rule)") }) }
        let pinPatterns = try options.pins.map { try compilePattern($0.pattern) }
        let allowPatterns = try options.allows.map { try compilePattern($0.pattern) }

        let ids = try Self.groupIds(profile.layers, sharing: options.sharing)
        var order: [String] = [], membersById: [String: [Int]] = [:]
        for (i, id) in ids.enumerated() {
            if membersById[id] == nil { order.append(id) }
            membersById[id, default: []].append(i)
        }
        var built: [LayerGroup] = []
        for id in order {
            let members = membersById[id] ?? []
            var allowed = base, pin: (rule: Int, layer: Int)? = nil
            for m in members {
                let name = profile.layers[m].name
                for (r, pattern) in pinPatterns.enumerated() where pattern.firstMatch(in: name) != nil {
                    if let (p, layer) = pin, pinIndices[p] != pinIndices[r] {
                        throw SearchError.conflictingPins(
                            layer: name, first: "\(options.pins[p]) (on \(profile.layers[layer].name))",
                            second: "\(options.pins[r])")
                    }
                    if pin == nil { pin = (r, m) }
                }
                for (r, pattern) in allowPatterns.enumerated() where pattern.firstMatch(in: name) != nil {
                    allowed.formIntersection(allowSets[r])
                    if allowed.isEmpty {
                        throw SearchError.noAllowedFormat(
                            layer: name, reason: "allow \(options.allows[r]) leaves nothing" +
                                (members.count > 1 ? " in group \(id) shared by \(members.count) layers" : ""))
                    }
                }
            }
            let loadable = Self.loadable(members, profile: profile, target: options.target)
            if allowed.isDisjoint(with: loadable) {
                throw SearchError.noAllowedFormat(
                    layer: profile.layers[members[0]].name,
                    reason: "target \(options.target.rawValue) loads none of "
                        + allowed.sorted().map { profile.formats[$0].name }.joined(separator: ", ")
                        + Self.refusal(members, profile: profile, target: options.target))
            }
            allowed.formIntersection(loadable)
            if let (r, _) = pin {
                guard allowed.contains(pinIndices[r]) else {
                    throw SearchError.noAllowedFormat(
                        layer: profile.layers[members[0]].name,
                        reason: "pin \(options.pins[r]) conflicts with --formats, an allow-list or target \(options.target.rawValue)")
                }
                allowed = [pinIndices[r]]
            }
            built.append(LayerGroup(id: id, members: members, allowed: allowed.sorted(),
                                    pin: pin.map { options.pins[$0.rule] }))
        }
        groups = built
        (bits, scores) = Self.costs(built, profile: profile, counting: options.counting, target: options.target)
        searchedParameters = profile.layers.reduce(0) { $0 + $1.parameters }
        fixedParameters = profile.model.fixedTensors.reduce(0) { $0 + $1.parameters }
        fixedBits = profile.model.fixedTensors.reduce(0) { $0 + $1.bits }
        unconstrainedMinimumBits = profile.layers.reduce(0) { total, layer in
            total + (layer.candidates.map { $0.bits[options.counting] }.min() ?? 0)
        }
        let shared = built.filter { $0.members.count > 1 }
        narrowing = "\(built.filter { $0.pin != nil }.count) pinned groups, \(options.allows.count) allow-lists, "
            + "\(shared.count) shared groups of \(shared.reduce(0) { $0 + $1.members.count }) layers, "
            + "\(base.count) of \(profile.formats.count) formats, target \(options.target.rawValue)"
    }

    /// Indices of the profile's formats that every member has a candidate for and `target` loads at
    /// the member's shape.
    static func loadable(_ members: [Int], profile: SensitivityProfile, target: DeploymentTarget) -> Set<Int> {
        Set(profile.formats.indices.filter { f in
            members.allSatisfy { m in
                let layer = profile.layers[m]
                return layer.candidate(profile.formats[f]) != nil
                    && target.storedFormat(profile.formats[f], shape: layer.tensorShape) != nil
            }
        })
    }

    /// Why `target` refuses the first member's formats, for the error message (first three).
    static func refusal(_ members: [Int], profile: SensitivityProfile, target: DeploymentTarget) -> String {
        let layer = profile.layers[members[0]]
        let reasons = profile.formats.compactMap { f -> String? in
            if case let .refused(reason, _) = target.verdict(f, shape: layer.tensorShape) { return "\(f.name): \(reason)" }
            return nil
        }
        return reasons.isEmpty ? "" : " (" + reasons.prefix(3).joined(separator: "; ") + ")"
    }

    /// Bits of `layer` in `candidate`'s format as `target` stores it under `counting`: the profile's
    /// candidate bits, or the stored format's exact cost when the target writes another one.
    static func layerBits(_ layer: ProfileLayer, _ candidate: FormatCandidate, counting: CostConvention,
                          target: DeploymentTarget) -> Int {
        guard case let .storedAs(stored, _) = target.verdict(candidate.format, shape: layer.tensorShape) else {
            return candidate.bits[counting]
        }
        return stored.bitCost(shape: layer.tensorShape, convention: counting).totalBits
    }

    /// Group id of every layer under a sharing rule.
    static func groupIds(_ layers: [ProfileLayer], sharing: SharingRule) throws -> [String] {
        switch sharing {
        case .none:
            return layers.map(\.name)
        case .vllm:
            let experts = try compilePattern(#"^(.*\.experts)\.\d+\."#)
            return layers.map { layer in
                if layer.name.contains(".experts."), let match = experts.firstMatch(in: layer.name), let range = Range(match.range(at: 1), in: layer.name) {
                    return String(layer.name[range])
                }
                return layer.fusedGroup ?? layer.name
            }
        case .patterns(let patterns):
            let compiled = try patterns.map(compilePattern)
            return layers.map { layer in
                for (p, regex) in compiled.enumerated() {
                    guard let match = regex.firstMatch(in: layer.name) else { continue }
                    let captures = match.numberOfRanges > 1 ? Array(1..<match.numberOfRanges) : [0]
                    let text = captures.compactMap { Range(match.range(at: $0), in: layer.name).map { String(layer.name[$0]) } }
                    return "share\(p):" + text.joined(separator: "|")
                }
                return layer.name
            }
        }
    }

    private static func costs(_ groups: [LayerGroup], profile: SensitivityProfile,
                              counting: CostConvention, target: DeploymentTarget) -> ([[Int]], [[Double]]) {
        // Candidate position per (layer, format); profiles usually list candidates in format order.
        let position: [[QuantFormat: Int]?] = profile.layers.map { layer in
            if layer.candidates.map(\.format) == profile.formats { return nil }
            return Dictionary(layer.candidates.enumerated().map { ($1.format, $0) }, uniquingKeysWith: { a, _ in a })
        }
        var bits: [[Int]] = [], scores: [[Double]] = []
        for group in groups {
            var rowBits: [Int] = [], rowScores: [Double] = []
            for f in group.allowed {
                let format = profile.formats[f]
                var b = 0, s = 0.0
                for m in group.members {
                    let candidate = profile.layers[m].candidates[position[m].map { $0[format] ?? 0 } ?? f]
                    b += layerBits(profile.layers[m], candidate, counting: counting, target: target)
                    s += candidate.score
                }
                rowBits.append(b)
                rowScores.append(s)
            }
            bits.append(rowBits)
            scores.append(rowScores)
        }
        return (bits, scores)
    }

    /// Parameters the average is taken over, in this problem's scope.
    public var countedParameters: Int {
        scope == .searched ? searchedParameters : searchedParameters + fixedParameters
    }

    /// Bits outside the search that count against the budget in this scope.
    var countedFixedBits: Int { scope == .searched ? 0 : fixedBits }

    /// The largest whole number of searched-layer bits with (bits + counted fixed bits) / counted
    /// parameters <= target, checked in floating point as reported (never rounded up).
    public func capacity(averageBits target: Double) -> Int {
        let parameters = Double(countedParameters)
        var total = Int((target * parameters).rounded(.down))
        while Double(total) / parameters > target { total -= 1 }
        return total - countedFixedBits
    }

    /// The knapsack for one capacity (searched-layer bits).
    public func instance(capacity: Int) -> KnapsackInstance {
        KnapsackInstance(bits: bits, scores: scores, capacity: capacity)
    }

    /// The feasible range of average bits (in this scope): cheapest and dearest plans.
    public var feasibleRange: ClosedRange<Double> {
        let low = bits.reduce(0) { $0 + ($1.min() ?? 0) }, high = bits.reduce(0) { $0 + ($1.max() ?? 0) }
        let parameters = Double(countedParameters)
        return Double(low + countedFixedBits) / parameters...Double(high + countedFixedBits) / parameters
    }

    /// The error for a target below the cheapest plan, naming what narrows the range.
    func infeasible(_ target: Double) -> SearchError {
        let free = Double(unconstrainedMinimumBits + countedFixedBits) / Double(countedParameters)
        return .budgetInfeasible(target: target, minimum: feasibleRange.lowerBound, maximum: feasibleRange.upperBound,
                                 narrowedBy: narrowing + String(format: "; with no pins, shares or allow-lists the minimum is %.4f", free))
    }
}
