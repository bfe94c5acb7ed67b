/// Little-endian bit streams in 32-bit words: value k occupies bits [k*b, (k+1)*b) of the stream, bit 0
/// being the least significant bit of word 0. For b = 2, 4, 8 this is GPTQ's "32/b values per int32,
/// first value in the low bits"; for b = 3 it is exactly GPTQ's 3-bit layout (32 values in 3 words,
/// values 10 and 21 straddling words).
enum BitStream {
    /// Packs `count` values of `bits` bits (taken from `value(k)`, masked) into ceil(count*bits/32) words.
    static func pack(count: Int, bits: Int, _ value: (Int) -> UInt32) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: ceilDiv(count * bits, 32))
        let mask: UInt32 = (1 << UInt32(bits)) - 1
        for k in 0..<count {
            let v = value(k) & mask
            let bit = k * bits, w = bit / 32, shift = UInt32(bit % 32)
            words[w] |= v << shift
            if Int(shift) + bits > 32 { words[w + 1] |= v >> (32 - shift) }
        }
        return words
    }

    /// Value k of a stream of `bits`-bit values.
    @inline(__always)
    static func value(_ words: [UInt32], at k: Int, bits: Int) -> UInt32 {
        let mask: UInt32 = (1 << UInt32(bits)) - 1
        let bit = k * bits, w = bit / 32, shift = UInt32(bit % 32)
        var v = words[w] >> shift
        if Int(shift) + bits > 32 { v |= words[w + 1] << (32 - shift) }
        return v & mask
    }
}
