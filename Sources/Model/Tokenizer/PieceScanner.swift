/// Hand-written equivalents of the pre-tokenizer regexes (see `PreTokenizer`), scanning scalar
/// classes left to right with no backtracking. Each method appends piece end indices.
struct PieceScanner {
    let scalars: UnsafeBufferPointer<UInt32>
    let classes: UnsafeBufferPointer<UInt8>

    private static let letter = ScalarClass.letter.rawValue
    private static let number = ScalarClass.number.rawValue
    private static let whitespace = ScalarClass.whitespace.rawValue
    private static let lineBreak = ScalarClass.lineBreak.rawValue
    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20

    /// End of the run of scalars from `start` whose class has a bit of `mask` set.
    @inline(__always)
    private func run(from start: Int, _ end: Int, mask: UInt8) -> Int {
        var index = start
        while index < end && classes[index] & mask != 0 { index += 1 }
        return index
    }

    /// End of the run of "other" scalars (`[^\s\p{L}\p{N}]`) from `start`.
    @inline(__always)
    private func otherRun(from start: Int, _ end: Int) -> Int {
        var index = start
        while index < end && classes[index] == 0 { index += 1 }
        return index
    }

    /// Length (2 or 3) of a contraction `'s|'t|'re|'ve|'m|'ll|'d` at `index`, or 0.
    /// `caseInsensitive` folds ASCII letters (Llama 3's `(?i:...)`).
    @inline(__always)
    private func contraction(at index: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard scalars[index] == Self.apostrophe, index + 1 < end else { return 0 }
        let fold: (UInt32) -> UInt32 = { caseInsensitive && $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        let first = fold(scalars[index + 1])
        switch first {
        case 0x73, 0x74, 0x6D, 0x64: return 2 // s t m d
        default: break
        }
        guard index + 2 < end else { return 0 }
        let second = fold(scalars[index + 2])
        switch (first, second) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3 // re ve ll
        default: return 0
        }
    }

    /// End of the whitespace piece starting at `start` under `\s+(?!\S)|\s+`: the whole run if it
    /// ends the span or has one character, else the run minus its last character.
    @inline(__always)
    private func whitespacePiece(from start: Int, _ end: Int) -> Int {
        let runEnd = run(from: start, end, mask: Self.whitespace)
        if runEnd == start { return start + 1 } // not reached for classified text; stay total
        if runEnd < end && runEnd - start > 1 { return runEnd - 1 }
        return runEnd
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    func gpt2(_ range: Range<Int>, into ends: inout [Int]) {
        let end = range.upperBound
        var index = range.lowerBound
        while index < end {
            let length = contraction(at: index, end, caseInsensitive: false)
            if length > 0 {
                index += length
                ends.append(index)
                continue
            }
            let body = scalars[index] == Self.space && index + 1 < end ? index + 1 : index
            let bodyClass = classes[body]
            let pieceEnd: Int
            if bodyClass == Self.letter || bodyClass == Self.number {
                pieceEnd = run(from: body, end, mask: bodyClass)
            } else if bodyClass == 0 {
                pieceEnd = otherRun(from: body, end)
            } else {
                pieceEnd = whitespacePiece(from: index, end)
            }
            index = pieceEnd
            ends.append(index)
        }
    }

    /// SmolLM: `\p{N}` isolates each digit; the spans between digits go through `gpt2`.
    func digitsThenGPT2(_ range: Range<Int>, into ends: inout [Int]) {
        var spanStart = range.lowerBound
        for index in range where classes[index] == Self.number {
            if spanStart < index { gpt2(spanStart..<index, into: &ends) }
            ends.append(index + 1)
            spanStart = index + 1
        }
        if spanStart < range.upperBound { gpt2(spanStart..<range.upperBound, into: &ends) }
    }

    /// Llama 3 / Qwen2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    /// `\s*[\r\n]+` takes a whitespace run up to and including its last CR/LF.
    func llama3(_ range: Range<Int>, maxDigits: Int, into ends: inout [Int]) {
        let end = range.upperBound
        var index = range.lowerBound
        while index < end {
            let cls = classes[index]
            var pieceEnd = index + contraction(at: index, end, caseInsensitive: true)
            if pieceEnd > index {
                // contraction
            } else if cls == Self.letter {
                pieceEnd = run(from: index, end, mask: Self.letter)
            } else if cls & (Self.letter | Self.number | Self.lineBreak) == 0, index + 1 < end,
                      classes[index + 1] == Self.letter {
                pieceEnd = run(from: index + 1, end, mask: Self.letter)
            } else if cls == Self.number {
                pieceEnd = index + 1
                while pieceEnd < end && pieceEnd - index < maxDigits && classes[pieceEnd] == Self.number {
                    pieceEnd += 1
                }
            } else if let punctuationEnd = punctuationPiece(at: index, end) {
                pieceEnd = punctuationEnd
            } else {
                pieceEnd = llama3WhitespacePiece(from: index, end)
            }
            index = pieceEnd
            ends.append(index)
        }
    }

    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*` at `index`, or nil if it does not match there.
    @inline(__always)
    private func punctuationPiece(at index: Int, _ end: Int) -> Int? {
        let body = scalars[index] == Self.space && index + 1 < end ? index + 1 : index
        guard classes[body] == 0 else { return nil }
        let punctuationEnd = otherRun(from: body, end)
        return run(from: punctuationEnd, end, mask: Self.lineBreak)
    }

    /// `\s*[\r\n]+|\s+(?!\S)|\s+` at `start` (a whitespace scalar).
    @inline(__always)
    private func llama3WhitespacePiece(from start: Int, _ end: Int) -> Int {
        var index = start
        var afterLastLineBreak = start
        while index < end && classes[index] & Self.whitespace != 0 {
            if classes[index] & Self.lineBreak != 0 { afterLastLineBreak = index + 1 }
            index += 1
        }
        if afterLastLineBreak > start { return afterLastLineBreak }
        return whitespacePiece(from: start, end)
    }
}
