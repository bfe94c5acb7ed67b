import Model
import Sensitivity

/// Layers grouped for display: one group per transformer block in block order (layers outside the
/// blocks last). Above `threshold` layers the blocks are binned into at most `maxBins` groups of
/// consecutive blocks, and charts show one row per (bin, layer kind) so they stay readable.
public struct LayerGrid: Sendable {
    /// Layer count above which blocks are binned.
    public static let defaultThreshold = 600
    /// Largest number of block bins when aggregating.
    public static let defaultMaxBins = 40

    /// A run of layers shown together.
    public struct Group: Sendable {
        /// "block 3", "blocks 0–446" or "outside blocks".
        public var label: String
        /// Layer indices in profile order.
        public var members: [Int]
    }

    /// One heatmap or table row: a single layer, or all layers of one kind in a bin.
    public struct Row: Sendable {
        /// Index into `groups`.
        public var group: Int
        public var kind: LinearKind?
        /// Layer indices the row stands for (one unless aggregated).
        public var members: [Int]
    }

    public let groups: [Group]
    public let rows: [Row]
    public let aggregated: Bool
    /// Kinds present, in `LinearKind.allCases` order, then nil (`other`: weights outside the linear kinds).
    public let kinds: [LinearKind?]

    /// - Complexity: O(layers log layers).
    public init(profile: SensitivityProfile, threshold: Int = defaultThreshold, maxBins: Int = defaultMaxBins) {
        precondition(maxBins > 0, "maxBins must be positive")
        let layers = profile.layers
        var byBlock: [Int: [Int]] = [:], outside: [Int] = []
        for (i, layer) in layers.enumerated() {
            if let b = layer.block { byBlock[b, default: []].append(i) } else { outside.append(i) }
        }
        let blocks = byBlock.keys.sorted()
        aggregated = layers.count > threshold
        var groups: [Group] = []
        if aggregated && blocks.count > maxBins {
            for bin in 0..<maxBins {
                let lo = bin * blocks.count / maxBins, hi = (bin + 1) * blocks.count / maxBins
                guard lo < hi else { continue }
                let members = blocks[lo..<hi].flatMap { byBlock[$0] ?? [] }
                groups.append(Group(label: "blocks \(blocks[lo])–\(blocks[hi - 1])", members: members))
            }
        } else {
            groups = blocks.map { Group(label: "block \($0)", members: byBlock[$0] ?? []) }
        }
        if !outside.isEmpty { groups.append(Group(label: "outside blocks", members: outside)) }
        self.groups = groups
        let present = Set(layers.map(\.kind))
        kinds = (LinearKind.allCases.map { Optional($0) } + [nil]).filter { present.contains($0) }
        var rows: [Row] = []
        for (g, group) in groups.enumerated() {
            if aggregated {
                var byKind: [LinearKind?: [Int]] = [:]
                for m in group.members { byKind[layers[m].kind, default: []].append(m) }
                for kind in kinds { if let m = byKind[kind] { rows.append(Row(group: g, kind: kind, members: m)) } }
            } else {
                rows += group.members.map { Row(group: g, kind: layers[$0].kind, members: [$0]) }
            }
        }
        self.rows = rows
    }
}
