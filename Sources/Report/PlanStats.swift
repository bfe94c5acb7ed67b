import Model
import Search
import Sensitivity

/// Per-plan numbers for the strip, the bit charts and budget accounting.
struct PlanStats {
    /// Parameters per format (indexed like `profile.formats`) in each (group, kind) cell.
    let cells: [[LinearKind?: [Int: Int]]]
    /// (bits, parameters) per layer kind.
    let byKind: [LinearKind?: (bits: Int, parameters: Int)]
    /// (bits, parameters) per grid group, in group order.
    let byGroup: [(bits: Int, parameters: Int)]
    /// (bits, parameters, layers) per format index.
    let byFormat: [Int: (bits: Int, parameters: Int, layers: Int)]
    /// Format index of every layer (nil if the plan names a format the profile lacks).
    let layerFormat: [Int?]

    /// - Complexity: O(layers).
    init(plan: QuantizationPlan, context: ReportContext) {
        let decisions = context.decisions(plan), layers = context.profile.layers
        let index = context.analysis.formatIndex
        var groupOf = [Int](repeating: 0, count: layers.count)
        for (g, group) in context.grid.groups.enumerated() { for m in group.members { groupOf[m] = g } }
        var cells = [[LinearKind?: [Int: Int]]](repeating: [:], count: context.grid.groups.count)
        var byKind: [LinearKind?: (bits: Int, parameters: Int)] = [:]
        var byGroup = [(bits: Int, parameters: Int)](repeating: (0, 0), count: context.grid.groups.count)
        var byFormat: [Int: (bits: Int, parameters: Int, layers: Int)] = [:]
        var layerFormat = [Int?](repeating: nil, count: layers.count)
        for (li, decision) in decisions.enumerated() {
            guard let d = decision, let f = index[d.format] else { continue }
            layerFormat[li] = f
            let kind = layers[li].kind, g = groupOf[li]
            cells[g][kind, default: [:]][f, default: 0] += d.parameters
            byKind[kind, default: (0, 0)].bits += d.bits
            byKind[kind, default: (0, 0)].parameters += d.parameters
            byGroup[g].bits += d.bits
            byGroup[g].parameters += d.parameters
            byFormat[f, default: (0, 0, 0)].bits += d.bits
            byFormat[f, default: (0, 0, 0)].parameters += d.parameters
            byFormat[f, default: (0, 0, 0)].layers += 1
        }
        self.cells = cells
        self.byKind = byKind
        self.byGroup = byGroup
        self.byFormat = byFormat
        self.layerFormat = layerFormat
    }

    /// The format holding most parameters of a cell (ties: fewer bits first), and its share.
    func dominant(group: Int, kind: LinearKind?, order: [Int]) -> (format: Int, share: Double)? {
        guard let cell = cells[group][kind], !cell.isEmpty else { return nil }
        let total = cell.values.reduce(0, +)
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        guard let best = cell.max(by: { a, b in
            a.value != b.value ? a.value < b.value : (rank[a.key] ?? 0) > (rank[b.key] ?? 0)
        }) else { return nil }
        return (best.key, Double(best.value) / Double(max(total, 1)))
    }
}
