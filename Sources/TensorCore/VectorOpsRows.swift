/// Element types whose rows `VectorOps.addRows` sums: each value is widened to Float before its
/// multiply-add. Half-precision rows carry half the bytes, and these sums are bound by reading rows.
public protocol SparseRowElement {
    /// Elements k ..< k + 8 of the row at `p`, widened.
    static func widened8(_ p: UnsafeRawPointer, at k: Int) -> SIMD8<Float>
    /// Element k of the row at `p`, widened.
    static func widened(_ p: UnsafeRawPointer, at k: Int) -> Float
}

extension Float: SparseRowElement {
    @inlinable @inline(__always)
    public static func widened8(_ p: UnsafeRawPointer, at k: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
    }
    @inlinable @inline(__always)
    public static func widened(_ p: UnsafeRawPointer, at k: Int) -> Float {
        p.loadUnaligned(fromByteOffset: 4 * k, as: Float.self)
    }
}

extension Float16: SparseRowElement {
    @inlinable @inline(__always)
    public static func widened8(_ p: UnsafeRawPointer, at k: Int) -> SIMD8<Float> {
        SIMD8<Float>(p.loadUnaligned(fromByteOffset: 2 * k, as: SIMD8<Float16>.self))
    }
    @inlinable @inline(__always)
    public static func widened(_ p: UnsafeRawPointer, at k: Int) -> Float {
        Float(p.loadUnaligned(fromByteOffset: 2 * k, as: Float16.self))
    }
}

extension VectorOps {
    /// y[0..<count] += sum over t of deltas[t] x rows[indices[t] x stride ..< + count]: a sparse
    /// combination of matrix rows added into y. Rows are taken eight at a time (two chains of four,
    /// summed before y is written), then four, then one; each row is read front to back, streams the
    /// hardware prefetcher follows, while y stays in L1. With `accumulating` (a, z), the updated y is
    /// then added into z as well, z += a y.
    @inlinable
    public static func addRows<E: SparseRowElement>(_ rows: UnsafePointer<E>, stride: Int, indices: UnsafePointer<Int32>,
                                                    deltas: UnsafePointer<Float>, terms: Int,
                                                    into y: UnsafeMutablePointer<Float>, count: Int,
                                                    accumulating: (scale: Float, into: UnsafeMutablePointer<Float>)? = nil) {
        assert(stride >= count && terms >= 0 && count >= 0, "addRows: \(terms) rows of \(count), stride \(stride)")
        let raw = UnsafeRawPointer(rows), rowBytes = MemoryLayout<E>.stride * stride
        var t = 0
        while t + 8 <= terms {
            addRowBlock(E.self, raw, rowBytes: rowBytes, indices: indices + t, deltas: deltas + t, eight: true, into: y, count: count)
            t += 8
        }
        if t + 4 <= terms {
            addRowBlock(E.self, raw, rowBytes: rowBytes, indices: indices + t, deltas: deltas + t, eight: false, into: y, count: count)
            t += 4
        }
        while t < terms {
            let r = raw + Int(indices[t]) * rowBytes, d = deltas[t]
            for k in 0..<count { y[k] = y[k].addingProduct(d, E.widened(r, at: k)) }
            t += 1
        }
        if let (a, z) = accumulating { addScaled(a, y, into: z, count: count) }
    }

    /// y += d0 r0 + ... + d3 r3 (+ (d4 r4 + ... + d7 r7) with `eight`) per lane, in that order.
    @inlinable @inline(__always)
    static func addRowBlock<E: SparseRowElement>(_: E.Type, _ raw: UnsafeRawPointer, rowBytes: Int, indices i: UnsafePointer<Int32>,
                                                 deltas d: UnsafePointer<Float>, eight: Bool,
                                                 into y: UnsafeMutablePointer<Float>, count: Int) {
        let p0 = raw + Int(i[0]) * rowBytes, p1 = raw + Int(i[1]) * rowBytes
        let p2 = raw + Int(i[2]) * rowBytes, p3 = raw + Int(i[3]) * rowBytes
        let d0 = SIMD8<Float>(repeating: d[0]), d1 = SIMD8<Float>(repeating: d[1])
        let d2 = SIMD8<Float>(repeating: d[2]), d3 = SIMD8<Float>(repeating: d[3])
        let ry = UnsafeMutableRawPointer(y)
        var k = 0
        if eight {
            let p4 = raw + Int(i[4]) * rowBytes, p5 = raw + Int(i[5]) * rowBytes
            let p6 = raw + Int(i[6]) * rowBytes, p7 = raw + Int(i[7]) * rowBytes
            let d4 = SIMD8<Float>(repeating: d[4]), d5 = SIMD8<Float>(repeating: d[5])
            let d6 = SIMD8<Float>(repeating: d[6]), d7 = SIMD8<Float>(repeating: d[7])
            while k + 8 <= count {
                var a = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                var b = E.widened8(p4, at: k) * d4
                a = a.addingProduct(d0, E.widened8(p0, at: k))
                b = b.addingProduct(d5, E.widened8(p5, at: k))
                a = a.addingProduct(d1, E.widened8(p1, at: k))
                b = b.addingProduct(d6, E.widened8(p6, at: k))
                a = a.addingProduct(d2, E.widened8(p2, at: k))
                b = b.addingProduct(d7, E.widened8(p7, at: k))
                a = a.addingProduct(d3, E.widened8(p3, at: k))
                ry.storeBytes(of: a + b, toByteOffset: 4 * k, as: SIMD8<Float>.self)
                k += 8
            }
        } else {
            while k + 8 <= count {
                var a = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                a = a.addingProduct(d0, E.widened8(p0, at: k))
                a = a.addingProduct(d1, E.widened8(p1, at: k))
                a = a.addingProduct(d2, E.widened8(p2, at: k))
                a = a.addingProduct(d3, E.widened8(p3, at: k))
                ry.storeBytes(of: a, toByteOffset: 4 * k, as: SIMD8<Float>.self)
                k += 8
            }
        }
        while k < count {
            var a = y[k]
            for q in 0..<4 { a = a.addingProduct(d[q], E.widened(raw + Int(i[q]) * rowBytes, at: k)) }
            if eight {
                var b = E.widened(raw + Int(i[4]) * rowBytes, at: k) * d[4]
                for q in 5..<8 { b = b.addingProduct(d[q], E.widened(raw + Int(i[q]) * rowBytes, at: k)) }
                a += b
            }
            y[k] = a
            k += 1
        }
    }
}
