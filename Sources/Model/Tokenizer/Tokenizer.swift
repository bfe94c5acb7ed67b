/// Unicode normalization of text before tokenization.
public enum TextNormalization: String, Sendable {
    /// Text is tokenized as given (GGUF files; `tokenizer.json` without a normalizer).
    case none
    /// Canonical composition (NFC), e.g. "e" + U+0301 becomes "é" (Qwen2's `tokenizer.json`).
    case nfc
}

/// A byte-level BPE tokenizer (GPT-2 style): special tokens matched whole, then a pre-tokenizer
/// cuts the text into words, each word's UTF-8 bytes become byte tokens, and ranked merges join
/// them (see `BPEMerges`). Decoding concatenates the bytes of the tokens.
///
/// Built from plain arrays (GGUF's `tokenizer.ggml.*` metadata) or from a Hugging Face
/// `tokenizer.json` (`init(tokenizerJSON:)`).
public struct Tokenizer: Sendable {
    /// GGUF token types (`tokenizer.ggml.token_type`), llama.cpp's numbering.
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Token spellings as stored in the vocabulary (byte-level characters for normal tokens).
    public let tokens: [String]
    /// The pre-tokenizer in use.
    public let preTokenizer: PreTokenizer
    /// Beginning-of-sequence token id, if any.
    public let bosTokenId: Int?
    /// End-of-sequence token id, if any.
    public let eosTokenId: Int?
    /// Whether `encode` prepends `bosTokenId` when asked to add special tokens.
    public let addBos: Bool
    /// Whether a pre-token word that is itself a vocabulary token skips the merges.
    public let ignoreMerges: Bool
    /// Unicode normalization applied to text before encoding (a `tokenizer.json` normalizer).
    public let normalization: TextNormalization

    /// The bytes each token stands for, indexed by id.
    let tokenBytes: [[UInt8]]
    /// Whether each token is special (control or user-defined): skipped by `decode(skipSpecial:)`.
    let isSpecial: [Bool]
    /// Token id of each byte value, -1 where the vocabulary has none (SmolLM2 lacks 21: six C0
    /// controls, 0xC0, 0xC1, 0xF1-0xFF); such bytes are dropped from the output, as Hugging Face
    /// `tokenizers` and llama.cpp do.
    let byteTokenIds: [Int32]
    let merges: BPEMerges
    let specialMatcher: SpecialTokenMatcher
    /// Byte spelling -> id of normal tokens, used when `ignoreMerges` is on (empty otherwise).
    let wordIds: [ArraySlice<UInt8>: Int32]

    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// Builds a tokenizer from GGUF-style arrays.
    /// - Parameters:
    ///   - tokens: token spellings by id (`tokenizer.ggml.tokens`).
    ///   - merges: merges in rank order, each "left right" (`tokenizer.ggml.merges`).
    ///   - tokenTypes: `TokenType` raw values by id, or nil (all normal). Control (3) and
    ///     user-defined (4) tokens are matched whole in the text and kept out of the merges.
    ///   - ignoreMerges: nil takes the pre-tokenizer's default (on for `llamaBPE`).
    /// - Throws: `TokenizerError` for a malformed or unknown merge, a duplicate token, a type count mismatch, or a bos/eos id outside the vocabulary.
    public init(tokens: [String], merges: [String], tokenTypes: [Int32]?, preTokenizer: PreTokenizer,
                bosTokenId: Int?, eosTokenId: Int?, addBos: Bool, ignoreMerges: Bool? = nil) throws {
        let types = try Self.resolvedTypes(tokenTypes, count: tokens.count)
        let special = types.map { $0 == TokenType.control.rawValue || $0 == TokenType.userDefined.rawValue }
        let pairs = try merges.enumerated().map { index, line in try Self.splitMerge(line, index: index) }
        try self.init(tokens: tokens, mergePairs: pairs, isSpecial: special, preTokenizer: preTokenizer,
                      bosTokenId: bosTokenId, eosTokenId: eosTokenId, addBos: addBos,
                      ignoreMerges: ignoreMerges ?? preTokenizer.ignoresMergesByDefault)
    }

    /// The designated initializer: merges already split into (left, right) spellings.
    init(tokens: [String], mergePairs: [(String, String)], isSpecial: [Bool], preTokenizer: PreTokenizer,
         bosTokenId: Int?, eosTokenId: Int?, addBos: Bool, ignoreMerges: Bool,
         normalization: TextNormalization = .none) throws {
        for (role, id) in [("bos", bosTokenId), ("eos", eosTokenId)] {
            if let id, !(0..<tokens.count).contains(id) {
                throw TokenizerError.tokenIdOutOfRange(role: role, id: id, vocabularySize: tokens.count)
            }
        }
        var idOf: [String: Int32] = [:]
        idOf.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let first = idOf.updateValue(Int32(id), forKey: token) {
                throw TokenizerError.duplicateToken(token: token, firstId: Int(first), secondId: id)
            }
        }
        self.tokens = tokens
        self.preTokenizer = preTokenizer
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.addBos = addBos
        self.ignoreMerges = ignoreMerges
        self.normalization = normalization
        self.isSpecial = isSpecial
        self.tokenBytes = zip(tokens, isSpecial).map { token, special in
            special ? Array(token.utf8) : (ByteLevel.bytes(ofToken: token) ?? Array(token.utf8))
        }
        self.byteTokenIds = (0..<256).map { idOf[ByteLevel.token(forByte: UInt8($0))] ?? -1 }
        self.merges = try Self.buildMerges(mergePairs, idOf: idOf)
        self.specialMatcher = SpecialTokenMatcher(tokens: tokens.indices.filter { isSpecial[$0] }
            .map { (text: tokens[$0], id: Int32($0)) })
        var words: [ArraySlice<UInt8>: Int32] = [:]
        if ignoreMerges {
            for (id, bytes) in tokenBytes.enumerated() where !isSpecial[id] { words[bytes[...]] = Int32(id) }
        }
        self.wordIds = words
    }

    private static func resolvedTypes(_ types: [Int32]?, count: Int) throws -> [Int32] {
        guard let types else { return [Int32](repeating: TokenType.normal.rawValue, count: count) }
        guard types.count == count else {
            throw TokenizerError.tokenTypeCountMismatch(expected: count, actual: types.count)
        }
        return types
    }

    /// Splits "left right" at the first space after the first character (as llama.cpp does).
    static func splitMerge(_ line: String, index: Int) throws -> (String, String) {
        let scalars = Array(line.unicodeScalars)
        guard scalars.count >= 3,
              let space = scalars[1...].firstIndex(of: " "), space + 1 < scalars.count else {
            throw TokenizerError.malformedMerge(index: index, merge: line)
        }
        var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
        left.append(contentsOf: scalars[..<space])
        right.append(contentsOf: scalars[(space + 1)...])
        return (String(left), String(right))
    }

    private static func buildMerges(_ pairs: [(String, String)], idOf: [String: Int32]) throws -> BPEMerges {
        var merges = BPEMerges()
        for (rank, (left, right)) in pairs.enumerated() {
            let line = left + " " + right
            guard let leftId = idOf[left] else {
                throw TokenizerError.mergeTokenNotInVocabulary(index: rank, merge: line, missing: left)
            }
            guard let rightId = idOf[right] else {
                throw TokenizerError.mergeTokenNotInVocabulary(index: rank, merge: line, missing: right)
            }
            guard let merged = idOf[left + right] else {
                throw TokenizerError.mergeTokenNotInVocabulary(index: rank, merge: line, missing: left + right)
            }
            merges.add(left: leftId, right: rightId, merged: merged, rank: Int32(rank))
        }
        return merges
    }
}
