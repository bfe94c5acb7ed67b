/// How text is cut into words before byte-level BPE; each case is a hand-written scanner over
/// Unicode scalars equivalent to the regex(es) llama.cpp (`llama-vocab.cpp`) and Hugging Face
/// `tokenizers` use for it. Raw values are GGUF's `tokenizer.ggml.pre` names.
///
/// Every regex alternative is tried in order at each position and the first match is a piece.
/// `\s+(?!\S)` (whitespace not followed by a non-space) means: a whitespace run that ends the
/// text takes all of it; a run followed by a non-space character gives up its last character,
/// which then starts the next piece (e.g. the space of " word"); a single whitespace character
/// followed by a non-space is matched by the final `\s+` alone. Pieces never cross the boundary
/// of the span being scanned (special tokens and earlier splits), so the lookahead sees the end
/// of the span as end of text.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// (contractions case-sensitive).
    case gpt2 = "gpt2"
    /// SmolLM/StarCoder: first `\p{N}` splits every digit into its own piece, then the GPT-2
    /// regex runs inside each remaining span.
    case smollm = "smollm"
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`. The case folding of the
    /// contractions is ASCII only (`'[sS]|'[tT]|...`, llama.cpp's adaptation of `(?i:...)`).
    case llamaBPE = "llama-bpe"
    /// Qwen2: as `llamaBPE` but `\p{N}` (one digit per piece) instead of `\p{N}{1,3}`.
    case qwen2 = "qwen2"

    /// Other GGUF names for the same scanners (llama.cpp accepts them too).
    private static let aliases: [String: PreTokenizer] = [
        "llama3": .llamaBPE, "llama-v3": .llamaBPE, "starcoder": .smollm,
    ]

    /// The scanner for a GGUF `tokenizer.ggml.pre` name.
    /// - Throws: `TokenizerError.unknownPreTokenizer` naming it and listing the known names.
    public init(named name: String) throws {
        if let known = PreTokenizer(rawValue: name) ?? PreTokenizer.aliases[name] {
            self = known
        } else {
            let names = PreTokenizer.allCases.map(\.rawValue) + PreTokenizer.aliases.keys.sorted()
            throw TokenizerError.unknownPreTokenizer(name: name, known: names)
        }
    }

    /// The Hugging Face `Split` regex of the Llama 3 family, as written in `tokenizer.json`.
    static let llamaBPERegex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// The Hugging Face `Split` regex of Qwen2, as written in `tokenizer.json`.
    static let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Whether whole pre-token words found in the vocabulary skip the merges (HF `ignore_merges`,
    /// which llama.cpp turns on for Llama 3).
    var ignoresMergesByDefault: Bool { self == .llamaBPE }

    /// Appends the end index (exclusive, in scalars) of every piece of `text[range]` to `ends`.
    /// - Complexity: O(range.count).
    func split(_ text: ScalarText, _ range: Range<Int>, into ends: inout [Int]) {
        text.scalars.withUnsafeBufferPointer { scalars in
            text.classes.withUnsafeBufferPointer { classes in
                let scanner = PieceScanner(scalars: scalars, classes: classes)
                switch self {
                case .gpt2: scanner.gpt2(range, into: &ends)
                case .smollm: scanner.digitsThenGPT2(range, into: &ends)
                case .llamaBPE: scanner.llama3(range, maxDigits: 3, into: &ends)
                case .qwen2: scanner.llama3(range, maxDigits: 1, into: &ends)
                }
            }
        }
    }

    /// The pieces of `text` (no special-token matching), e.g. for inspection and tests.
    /// - Complexity: O(bytes).
    public func pieces(of text: String) -> [String] {
        let scalarText = ScalarText(text)
        var ends: [Int] = []
        split(scalarText, 0..<scalarText.count, into: &ends)
        let utf8 = Array(text.utf8)
        var start = 0
        return ends.map { end in
            defer { start = end }
            return String(decoding: utf8[scalarText.byteOffsets[start]..<scalarText.byteOffsets[end]], as: UTF8.self)
        }
    }
}
