/// Finds added/special tokens (e.g. `<|im_start|>`) in text before pre-tokenization.
///
/// At each scalar position the longest special token that starts there wins; matched tokens are
/// emitted whole and the text between them is pre-tokenized on its own.
struct SpecialTokenMatcher: Sendable {
    /// Candidates by first scalar value, longest first: (scalars, token id).
    private var byFirstScalar: [UInt32: [([UInt32], Int32)]] = [:]
    /// Whether some special token starts with each ASCII scalar (skips the dictionary on text).
    private var asciiStarts = [Bool](repeating: false, count: 128)
    /// Whether some special token starts with a non-ASCII scalar.
    private var nonASCIIStarts = false

    init(tokens: [(text: String, id: Int32)]) {
        for (text, id) in tokens where !text.isEmpty {
            let scalars = text.unicodeScalars.map(\.value)
            byFirstScalar[scalars[0], default: []].append((scalars, id))
            if scalars[0] < 128 { asciiStarts[Int(scalars[0])] = true } else { nonASCIIStarts = true }
        }
        for key in byFirstScalar.keys {
            byFirstScalar[key]?.sort { $0.0.count > $1.0.count }
        }
    }

    var isEmpty: Bool { byFirstScalar.isEmpty }

    /// The special token starting at `index` of `scalars`, as (length in scalars, id), or nil.
    /// - Complexity: O(1) when no special token starts with `scalars[index]`.
    @inline(__always)
    func match(_ scalars: UnsafeBufferPointer<UInt32>, at index: Int) -> (length: Int, id: Int32)? {
        let first = scalars[index]
        guard first < 128 ? asciiStarts[Int(first)] : nonASCIIStarts,
              let candidates = byFirstScalar[first] else { return nil }
        for (pattern, id) in candidates where index + pattern.count <= scalars.count {
            var equal = true
            for offset in 1..<pattern.count where scalars[index + offset] != pattern[offset] {
                equal = false
                break
            }
            if equal { return (pattern.count, id) }
        }
        return nil
    }
}
