import Formats
import Search
import Sensitivity

/// What every section reads: the inputs and the numbers derived from them once.
public struct ReportContext: Sendable {
    public let input: ReportInput
    public let analysis: ReportAnalysis
    public let grid: LayerGrid

    public init(input: ReportInput, gridThreshold: Int = LayerGrid.defaultThreshold) {
        self.input = input
        analysis = ReportAnalysis(input: input)
        grid = LayerGrid(profile: input.profile, threshold: gridThreshold)
    }

    public var profile: SensitivityProfile { input.profile }

    /// Decisions of a plan by layer index (aligned with the profile's layers).
    public func decisions(_ plan: QuantizationPlan) -> [LayerDecision?] {
        var byName: [String: LayerDecision] = [:]
        for d in plan.layers { byName[d.name] = d }
        return profile.layers.map { byName[$0.name] }
    }

    /// The name under which formats are shown: `int4a/g32*` when the format is exact on this model.
    public func formatLabel(_ index: Int) -> String {
        let name = analysis.formats[index].name
        let flagged = analysis.formats[index].isExactOnModel || (storedAsQ41 && name == q41LookalikeFormat)
        return name.name + (flagged ? "*" : "")
    }

    /// Whether the profiled model file is a GGUF stored as Q4_1 (its file name says `Q4_1`, as the
    /// default SmolLM2-135M-Instruct's does).
    public var storedAsQ41: Bool {
        let file = profile.model.path.split(separator: "/").last.map(String.init) ?? ""
        return file.lowercased().contains("q4_1") && file.lowercased().hasSuffix(".gguf")
    }

    /// The candidate closest to Q4_1's grid (4-bit asymmetric, groups of 32), if profiled.
    public var q41LookalikeFormat: QuantFormat? {
        profile.formats.first { $0 == "int4a/g32" }
    }

    /// Unit of the scores.
    public static let lossUnit = "nats/token"
}

/// One section of the report, rendered both as HTML and as markdown.
protocol ReportSection {
    /// Anchor id in the HTML.
    var id: String { get }
    var title: String { get }
    func html(_ b: inout HTMLBuilder)
    func markdown(_ m: inout MarkdownBuilder)
}

extension ReportSection {
    /// The section wrapped in `<section id=...><h2>title</h2>...</section>`.
    func renderHTML(_ b: inout HTMLBuilder) {
        b.open(.section, [("id", id)])
        b.element(.h2, text: title)
        html(&b)
        b.close(.section)
    }
}

extension HTMLBuilder {
    /// A table with a header row; `numeric` marks right-aligned columns.
    mutating func table(_ headers: [String], numeric: Set<Int> = [], rows: [[String]], caption: String? = nil,
                        className: String? = nil) {
        element(.table, [("class", className)]) { b in
            if let caption { b.element(.caption, text: caption) }
            b.element(.thead) { b in
                b.element(.tr) { b in
                    for (i, h) in headers.enumerated() {
                        b.element(.th, [("class", numeric.contains(i) ? "num" : nil)], text: h)
                    }
                }
            }
            b.element(.tbody) { b in
                for row in rows {
                    b.element(.tr) { b in
                        for (i, cell) in row.enumerated() {
                            b.element(.td, [("class", numeric.contains(i) ? "num" : nil)], text: cell)
                        }
                    }
                }
            }
        }
    }

    /// A paragraph of escaped text with an optional class.
    mutating func paragraph(_ text: String, className: String? = nil) {
        element(.p, [("class", className)], text: text)
    }
}
