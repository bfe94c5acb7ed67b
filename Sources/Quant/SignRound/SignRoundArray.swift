/// A fixed-size array SignRound's step loops reach by pointer: allocated once, freed with its owner,
/// so a pass takes plain pointers instead of nesting one `withUnsafe...` closure per array. The
/// memory never moves and is never shared (no copy on write): whoever holds the owner may write it.
final class SignRoundArray<Element> {
    /// The first element; valid for the owner's lifetime.
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(repeating value: Element, count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: count)
    }

    init(_ elements: [Element]) {
        count = elements.count
        base = .allocate(capacity: max(count, 1))
        _ = UnsafeMutableBufferPointer(start: base, count: count).initialize(from: elements)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The elements as a Swift array (a copy).
    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Copies `other`'s elements over these (same count).
    func update(from other: SignRoundArray<Element>) {
        precondition(other.count == count, "SignRoundArray.update: \(other.count) elements, expected \(count)")
        base.update(from: other.base, count: count)
    }
}
