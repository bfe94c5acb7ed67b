import Foundation

extension Tokenizer {
    /// Token ids of `text`.
    /// - Parameters:
    ///   - addSpecialTokens: prepend `bosTokenId` when `addBos` is set.
    ///   - parseSpecial: match control/user-defined tokens (e.g. `<|im_start|>`) whole; when false
    ///     their text is tokenized like any other text.
    /// - Complexity: O(bytes) for pre-tokenization plus O(k log k) per distinct word of k bytes
    ///   (each distinct word is merged once per call and cached).
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecial: Bool = true) -> [Int] {
        let text = normalization == .nfc ? text.precomposedStringWithCanonicalMapping : text
        var output: [Int32] = []
        output.reserveCapacity(text.utf8.count / 3 + 1)
        if addSpecialTokens, addBos, let bosTokenId { output.append(Int32(bosTokenId)) }
        let scalarText = ScalarText(text)
        let utf8 = Array(text.utf8)
        var session = EncodeSession(tokenizer: self, utf8: utf8)
        var spanStart = 0
        if parseSpecial && !specialMatcher.isEmpty {
            scalarText.scalars.withUnsafeBufferPointer { scalars in
                var index = 0
                while index < scalars.count {
                    if let (length, id) = specialMatcher.match(scalars, at: index) {
                        session.encodeSpan(scalarText, spanStart..<index, into: &output)
                        output.append(id)
                        index += length
                        spanStart = index
                    } else {
                        index += 1
                    }
                }
            }
        }
        session.encodeSpan(scalarText, spanStart..<scalarText.count, into: &output)
        return output.map(Int.init)
    }

    /// The bytes of one token (its UTF-8 text for special tokens), or nil outside the vocabulary.
    public func bytes(ofToken id: Int) -> [UInt8]? {
        tokenBytes.indices.contains(id) ? tokenBytes[id] : nil
    }

    /// The text of `ids` (invalid UTF-8 across token boundaries becomes U+FFFD).
    /// - Parameter skipSpecial: leave out control and user-defined tokens.
    /// - Throws: `TokenizerError.decodeIdOutOfRange` for an id outside the vocabulary.
    public func decode(_ ids: [Int], skipSpecial: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for (position, id) in ids.enumerated() {
            guard tokenBytes.indices.contains(id) else {
                throw TokenizerError.decodeIdOutOfRange(id: id, position: position, vocabularySize: tokens.count)
            }
            if skipSpecial && isSpecial[id] { continue }
            bytes.append(contentsOf: tokenBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// State of one `encode` call: the text's bytes and the cache of merged words.
private struct EncodeSession {
    let tokenizer: Tokenizer
    let utf8: [UInt8]
    /// Merged ids of each distinct word seen in this call, keyed by its bytes (slices of `utf8`).
    var cache: [ArraySlice<UInt8>: [Int32]] = [:]
    var ends: [Int] = []
    var symbols: [Int32] = []

    init(tokenizer: Tokenizer, utf8: [UInt8]) {
        self.tokenizer = tokenizer
        self.utf8 = utf8
    }

    mutating func encodeSpan(_ text: ScalarText, _ range: Range<Int>, into output: inout [Int32]) {
        guard !range.isEmpty else { return }
        ends.removeAll(keepingCapacity: true)
        tokenizer.preTokenizer.split(text, range, into: &ends)
        var start = range.lowerBound
        for end in ends {
            let word = utf8[text.byteOffsets[start]..<text.byteOffsets[end]]
            start = end
            if let cached = cache[word] {
                output.append(contentsOf: cached)
                continue
            }
            let merged = mergeWord(word)
            cache[word] = merged
            output.append(contentsOf: merged)
        }
    }

    private mutating func mergeWord(_ word: ArraySlice<UInt8>) -> [Int32] {
        if tokenizer.ignoreMerges, let id = tokenizer.wordIds[word] { return [id] }
        symbols.removeAll(keepingCapacity: true)
        for byte in word { symbols.append(tokenizer.byteTokenIds[Int(byte)]) }
        var merged: [Int32] = []
        tokenizer.merges.merge(symbols, into: &merged)
        if merged.contains(-1) { merged.removeAll { $0 < 0 } }
        return merged
    }
}
