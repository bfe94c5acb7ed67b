import TensorCore

/// The calibration samples of each block-wise SignRound step, as AutoRound's `IndexSampler` draws
/// them: a shuffled order of all samples is walked `batch` at a time; when fewer than `batch`
/// samples remain, the order is reshuffled and the walk starts over (so every sample is seen once
/// per pass and no minibatch is short). Shuffles are Fisher-Yates with a SplitMix64 stream.
public struct MinibatchSampler: Sendable {
    public let count: Int
    public let batch: Int
    private var rng: SplitMix64
    private var order: [Int]
    private var position = 0

    /// - Precondition: 1 <= batch <= count.
    public init(count: Int, batch: Int, seed: UInt64) {
        precondition(count >= 1 && batch >= 1 && batch <= count, "MinibatchSampler needs 1 <= batch <= count")
        self.count = count
        self.batch = batch
        rng = SplitMix64(seed: seed)
        order = Array(0..<count)
        shuffle()
    }

    /// The next `batch` sample indices.
    public mutating func next() -> [Int] {
        if position + batch > count {
            shuffle()
            position = 0
        }
        defer { position += batch }
        return Array(order[position..<(position + batch)])
    }

    private mutating func shuffle() {
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
    }
}
