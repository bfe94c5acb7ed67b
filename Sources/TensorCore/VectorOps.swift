/// Small vector kernels for loops BLAS level 1 would call too often to pay its overhead, written over
/// SIMD8 so they vectorise whatever the compiler proves about aliasing.
public enum VectorOps {
    /// y[k] += a x[k] for k in 0..<count, one fused multiply-add per element (8 lanes at a time).
    /// - Precondition: x and y do not overlap partially (x == y is fine).
    @inlinable @inline(__always)
    public static func addScaled(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        assert(count >= 0, "addScaled count \(count)")
        assert(UnsafePointer(y) == x || UnsafePointer(y) >= x + count || x >= UnsafePointer(y) + count,
               "addScaled: x and y overlap partially")
        let av = SIMD8<Float>(repeating: a)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var k = 0
        while k + 8 <= count {
            let xv = rx.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            let yv = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            ry.storeBytes(of: yv.addingProduct(av, xv), toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < count {
            y[k] = y[k].addingProduct(a, x[k])
            k += 1
        }
    }

    /// sum over rows r < rows of (sum over the row's `cols` entries i of term(a[i], b[i])), each row
    /// summed in Float from left to right and the row sums added in Double.
    @inlinable
    public static func rowSummed(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, cols: Int,
                                 _ term: (Float, Float) -> Float) -> Double {
        assert(rows >= 0 && cols >= 0, "rowSummed shape \(rows) x \(cols)")
        var total = 0.0
        for r in 0..<rows {
            var rowSum: Float = 0
            for i in (r * cols)..<((r + 1) * cols) { rowSum += term(a[i], b[i]) }
            total += Double(rowSum)
        }
        return total
    }
}

extension VectorOps {
    /// Lists where `new` and `old` differ: for each k in 0..<count with d = new[k] - old[k] != 0, in
    /// order, indices[t] = first + k and deltas[t] = d x scale. Returns the number listed. Eight lanes
    /// are compared at a time and only the differing lanes are visited.
    /// - Precondition: indices and deltas hold `count` entries; first + count fits in Int32.
    @inlinable
    public static func listChanges(new: UnsafePointer<Float>, old: UnsafePointer<Float>, count: Int, first: Int32,
                                   scale: Float, indices: UnsafeMutablePointer<Int32>, deltas: UnsafeMutablePointer<Float>) -> Int {
        assert(count >= 0 && first >= 0 && Int(first) + count <= Int(Int32.max), "listChanges: \(first) + \(count) overflows Int32")
        let rn = UnsafeRawPointer(new), ro = UnsafeRawPointer(old)
        let lanes = SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)
        var terms = 0, k = 0
        while k + 8 <= count {
            let d = rn.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                - ro.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            var bits = lanes.replacing(with: 0, where: d .== 0).wrappedSum()
            while bits != 0 {
                let lane = bits.trailingZeroBitCount
                indices[terms] = first &+ Int32(truncatingIfNeeded: k &+ lane)
                deltas[terms] = d[lane] * scale
                terms &+= 1
                bits &= bits &- 1
            }
            k &+= 8
        }
        while k < count {
            let d = new[k] - old[k]
            indices[terms] = first &+ Int32(truncatingIfNeeded: k)
            deltas[terms] = d * scale
            terms &+= d != 0 ? 1 : 0
            k &+= 1
        }
        return terms
    }
}
