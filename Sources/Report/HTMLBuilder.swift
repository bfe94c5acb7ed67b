/// The elements the report writes (HTML and inline SVG). Typed so a misspelt tag cannot compile.
public enum Tag: String, Sendable {
    case html, head, body, meta, title, style, header, main, section, footer, nav
    case h1, h2, h3, p, a, ul, li, div, span, code, strong, small, details, summary, figure, figcaption
    case table, thead, tbody, tr, th, td, caption
    /// SVG elements; SVG's tooltip element is also named `title` and shares `.title`.
    case svg, g, rect, line, polyline, circle, path, text, defs, pattern

    /// Elements written as `<tag ... />` when empty (XHTML-compatible void elements).
    var isVoid: Bool { self == .meta }
}

/// A tiny HTML/XHTML builder that escapes every text and attribute value.
///
/// Output is well-formed XML (every element closed, void elements self-closed, only the five XML
/// entities), so the report parses with an XML parser as well as in a browser.
/// - Complexity: O(total output length); escaping scans each string once.
public struct HTMLBuilder: Sendable {
    /// The markup written so far.
    public private(set) var output = ""
    private var openTags: [Tag] = []

    public init() { output.reserveCapacity(1 << 16) }

    /// `s` with `&`, `<`, `>`, `"` and `'` replaced by entities (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`).
    public static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 })
        else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Opens `tag` with attributes (values escaped; nil values omitted).
    public mutating func open(_ tag: Tag, _ attributes: [(String, String?)] = []) {
        output += "<" + tag.rawValue
        appendAttributes(attributes)
        if tag.isVoid {
            output += "/>"
        } else {
            output += ">"
            openTags.append(tag)
        }
    }

    /// Closes the innermost open element, which must be `tag` (a programmer error otherwise).
    public mutating func close(_ tag: Tag) {
        precondition(openTags.last == tag, "closing <\(tag.rawValue)> but <\(openTags.last?.rawValue ?? "none")> is open")
        openTags.removeLast()
        output += "</" + tag.rawValue + ">"
    }

    /// An element holding escaped text.
    public mutating func element(_ tag: Tag, _ attributes: [(String, String?)] = [], text: String) {
        output += "<" + tag.rawValue
        appendAttributes(attributes)
        output += ">" + Self.escape(text) + "</" + tag.rawValue + ">"
    }

    /// An element with no content, self-closed (`<rect ... />`).
    public mutating func empty(_ tag: Tag, _ attributes: [(String, String?)] = []) {
        output += "<" + tag.rawValue
        appendAttributes(attributes)
        output += "/>"
    }

    /// An element whose content `body` writes.
    public mutating func element(_ tag: Tag, _ attributes: [(String, String?)] = [],
                                 _ body: (inout HTMLBuilder) -> Void) {
        open(tag, attributes)
        body(&self)
        close(tag)
    }

    /// Escaped text.
    public mutating func text(_ s: String) { output += Self.escape(s) }

    /// Markup written verbatim: only for constant strings of this module (CSS, the doctype).
    mutating func raw(_ s: String) { output += s }

    /// Whether every opened element was closed.
    public var isBalanced: Bool { openTags.isEmpty }

    private mutating func appendAttributes(_ attributes: [(String, String?)]) {
        for (name, value) in attributes {
            guard let value else { continue }
            output += " " + name + "=\"" + Self.escape(value) + "\""
        }
    }
}
