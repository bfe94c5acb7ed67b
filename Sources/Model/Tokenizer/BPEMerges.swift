/// Merge ranks of a byte-level BPE vocabulary and the merge loop over one pre-token word.
///
/// A word starts as one symbol per UTF-8 byte (the byte's token id). Repeatedly, the adjacent pair
/// with the lowest merge rank is replaced by its merged token; ties in rank go to the leftmost pair
/// (the same order as Hugging Face `tokenizers` and llama.cpp). Merging stops when no adjacent pair
/// has a rank.
struct BPEMerges: Sendable {
    /// A merge: its rank (0 = applied first) and the token id it produces.
    struct Entry: Sendable {
        var rank: Int32
        var merged: Int32
    }

    /// Ranks keyed by the pair of token ids, packed as `left << 32 | right`.
    private(set) var table: [UInt64: Entry] = [:]

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Adds a merge unless the pair already has a (lower) rank.
    mutating func add(left: Int32, right: Int32, merged: Int32, rank: Int32) {
        let key = Self.key(left, right)
        if table[key] == nil { table[key] = Entry(rank: rank, merged: merged) }
    }

    var count: Int { table.count }

    /// A candidate merge in the priority queue, ordered by (rank, left position).
    private struct Candidate {
        var rank: Int32
        var left: Int32
        var right: Int32
        var leftId: Int32
        var rightId: Int32
        var merged: Int32

        @inline(__always)
        func precedes(_ other: Candidate) -> Bool {
            rank < other.rank || (rank == other.rank && left < other.left)
        }
    }

    /// Applies the merges to `symbols` (token ids, initially one per byte) and appends the result.
    /// - Complexity: O(n log n) for n symbols (a binary heap of candidate pairs and a linked list
    ///   of live symbols; stale candidates are skipped when popped).
    func merge(_ symbols: [Int32], into output: inout [Int32]) {
        let count = symbols.count
        if count < 2 {
            output.append(contentsOf: symbols)
            return
        }
        var ids = symbols
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index + 1) }
            initialized = count
        }
        var prev = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index - 1) }
            initialized = count
        }
        next[count - 1] = -1
        var heap: [Candidate] = []
        heap.reserveCapacity(count)
        for index in 0..<(count - 1) {
            pushCandidate(&heap, ids: ids, left: Int32(index), right: Int32(index + 1))
        }
        while let top = Self.pop(&heap) {
            let left = Int(top.left), right = Int(top.right)
            guard ids[left] == top.leftId, ids[right] == top.rightId, next[left] == top.right else { continue }
            ids[left] = top.merged
            ids[right] = -1
            let after = next[right]
            next[left] = after
            if after >= 0 { prev[Int(after)] = top.left }
            if prev[left] >= 0 { pushCandidate(&heap, ids: ids, left: prev[left], right: top.left) }
            if after >= 0 { pushCandidate(&heap, ids: ids, left: top.left, right: after) }
        }
        var index: Int32 = 0
        while index >= 0 {
            output.append(ids[Int(index)])
            index = next[Int(index)]
        }
    }

    @inline(__always)
    private func pushCandidate(_ heap: inout [Candidate], ids: [Int32], left: Int32, right: Int32) {
        let leftId = ids[Int(left)], rightId = ids[Int(right)]
        guard let entry = table[Self.key(leftId, rightId)] else { return }
        heap.append(Candidate(rank: entry.rank, left: left, right: right,
                              leftId: leftId, rightId: rightId, merged: entry.merged))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func pop(_ heap: inout [Candidate]) -> Candidate? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return first }
        heap[0] = last
        var parent = 0
        while true {
            let leftChild = 2 * parent + 1, rightChild = leftChild + 1
            var best = parent
            if leftChild < heap.count && heap[leftChild].precedes(heap[best]) { best = leftChild }
            if rightChild < heap.count && heap[rightChild].precedes(heap[best]) { best = rightChild }
            if best == parent { break }
            heap.swapAt(parent, best)
            parent = best
        }
        return first
    }
}
