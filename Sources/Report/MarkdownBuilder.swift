/// Builds GitHub-flavoured markdown: headings, paragraphs, tables with escaped cells.
public struct MarkdownBuilder: Sendable {
    public enum Alignment: Sendable { case left, right }

    public private(set) var lines: [String] = []

    public init() {}

    public var output: String { lines.joined(separator: "\n") + "\n" }

    public mutating func heading(_ level: Int, _ text: String) {
        lines += [String(repeating: "#", count: max(1, min(level, 6))) + " " + Self.escape(text), ""]
    }

    public mutating func paragraph(_ text: String) { lines += [text, ""] }

    public mutating func bullets(_ items: [String]) { lines += items.map { "- " + $0 } + [""] }

    /// A table; cells are escaped (`|` and line breaks) but otherwise verbatim, so callers may use
    /// code spans via `code(_:)`.
    public mutating func table(_ headers: [String], _ alignments: [Alignment], _ rows: [[String]]) {
        precondition(headers.count == alignments.count, "one alignment per column")
        lines.append("| " + headers.map(Self.cell).joined(separator: " | ") + " |")
        lines.append("|" + alignments.map { $0 == .right ? "---:" : "---" }.joined(separator: "|") + "|")
        for row in rows { lines.append("| " + row.map(Self.cell).joined(separator: " | ") + " |") }
        lines.append("")
    }

    /// A code span for names (layer names contain underscores that markdown would read as emphasis).
    public static func code(_ s: String) -> String { "`" + s.replacingOccurrences(of: "`", with: "'") + "`" }

    /// Text with markdown's emphasis and link characters escaped.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\`*_[]<>|#".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return out
    }

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
