/// Small vector kernels for loops BLAS level 1 would call too often to pay its overhead, written over
/// SIMD8 so they vectorise whatever the compiler proves about aliasing.
public enum VectorOps {
    /// y[k] += a x[k] for k in 0..<count, one fused multiply-add per element (8 lanes at a time).
    /// - Precondition: x and y do not overlap partially (x == y is fine).
    @inlinable @inline(__always)
    public static func addScaled(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
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
}

extension VectorOps {
    /// y[0..<count] += sum over t of deltas[t] x rows[indices[t] x stride ..< + count]: a sparse
    /// combination of matrix rows added into y. Rows are taken four at a time, each read front to back
    /// (four sequential streams the hardware prefetcher follows; interleaving all rows 64 lanes at a
    /// time left the loads waiting on L2), with y, which stays in L1, read and written once per four
    /// rows. With `accumulating` (a, z), the updated y is then added into z as well, z += a y.
    @inlinable
    public static func addRows(_ rows: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>,
                               deltas: UnsafePointer<Float>, terms: Int, into y: UnsafeMutablePointer<Float>, count: Int,
                               accumulating: (scale: Float, into: UnsafeMutablePointer<Float>)? = nil) {
        var t = 0
        while t + 4 <= terms {
            addFourRows(rows + Int(indices[t]) * stride, rows + Int(indices[t + 1]) * stride,
                        rows + Int(indices[t + 2]) * stride, rows + Int(indices[t + 3]) * stride,
                        deltas: (deltas[t], deltas[t + 1], deltas[t + 2], deltas[t + 3]), into: y, count: count)
            t += 4
        }
        while t < terms {
            addScaled(deltas[t], rows + Int(indices[t]) * stride, into: y, count: count)
            t += 1
        }
        if let (a, z) = accumulating { addScaled(a, y, into: z, count: count) }
    }

    /// y += d.0 r0 + d.1 r1 + d.2 r2 + d.3 r3 over `count` lanes (summed in that order per lane).
    @inlinable @inline(__always)
    static func addFourRows(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>,
                            _ r3: UnsafePointer<Float>, deltas d: (Float, Float, Float, Float),
                            into y: UnsafeMutablePointer<Float>, count: Int) {
        let d0 = SIMD8<Float>(repeating: d.0), d1 = SIMD8<Float>(repeating: d.1)
        let d2 = SIMD8<Float>(repeating: d.2), d3 = SIMD8<Float>(repeating: d.3)
        let p0 = UnsafeRawPointer(r0), p1 = UnsafeRawPointer(r1), p2 = UnsafeRawPointer(r2), p3 = UnsafeRawPointer(r3)
        let ry = UnsafeMutableRawPointer(y)
        var k = 0
        while k + 8 <= count {
            var acc = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            acc = acc.addingProduct(d0, p0.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            acc = acc.addingProduct(d1, p1.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            acc = acc.addingProduct(d2, p2.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            acc = acc.addingProduct(d3, p3.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            ry.storeBytes(of: acc, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < count {
            y[k] = y[k].addingProduct(d.0, r0[k]).addingProduct(d.1, r1[k]).addingProduct(d.2, r2[k]).addingProduct(d.3, r3[k])
            k += 1
        }
    }
}

extension VectorOps {
    /// `addRows` over half-precision rows, each value widened to Float before its multiply-add (half
    /// the bytes per row: these sums are bound by reading the rows). Rows are taken eight at a time,
    /// in two chains of four summed before y is written, then four, then one.
    @inlinable
    public static func addRows(_ rows: UnsafePointer<Float16>, stride: Int, indices: UnsafePointer<Int32>,
                               deltas: UnsafePointer<Float>, terms: Int, into y: UnsafeMutablePointer<Float>, count: Int,
                               accumulating: (scale: Float, into: UnsafeMutablePointer<Float>)? = nil) {
        var t = 0
        while t + 8 <= terms {
            addEightHalfRows(rows, stride: stride, indices: indices + t, deltas: deltas + t, into: y, count: count)
            t += 8
        }
        while t + 4 <= terms {
            addFourHalfRows(rows + Int(indices[t]) * stride, rows + Int(indices[t + 1]) * stride,
                            rows + Int(indices[t + 2]) * stride, rows + Int(indices[t + 3]) * stride,
                            deltas: (deltas[t], deltas[t + 1], deltas[t + 2], deltas[t + 3]), into: y, count: count)
            t += 4
        }
        while t < terms {
            let r = rows + Int(indices[t]) * stride, d = deltas[t]
            for k in 0..<count { y[k] = y[k].addingProduct(d, Float(r[k])) }
            t += 1
        }
        if let (a, z) = accumulating { addScaled(a, y, into: z, count: count) }
    }

    /// y += sum over q < 8 of deltas[q] rows[indices[q] x stride ..< + count], as (y + d0 r0 + ... + d3 r3)
    /// + (d4 r4 + ... + d7 r7) per lane.
    @inlinable @inline(__always)
    static func addEightHalfRows(_ rows: UnsafePointer<Float16>, stride: Int, indices i: UnsafePointer<Int32>,
                                 deltas d: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeRawPointer(rows)
        let p0 = raw + 2 * Int(i[0]) * stride, p1 = raw + 2 * Int(i[1]) * stride
        let p2 = raw + 2 * Int(i[2]) * stride, p3 = raw + 2 * Int(i[3]) * stride
        let p4 = raw + 2 * Int(i[4]) * stride, p5 = raw + 2 * Int(i[5]) * stride
        let p6 = raw + 2 * Int(i[6]) * stride, p7 = raw + 2 * Int(i[7]) * stride
        let d0 = SIMD8<Float>(repeating: d[0]), d1 = SIMD8<Float>(repeating: d[1])
        let d2 = SIMD8<Float>(repeating: d[2]), d3 = SIMD8<Float>(repeating: d[3])
        let d4 = SIMD8<Float>(repeating: d[4]), d5 = SIMD8<Float>(repeating: d[5])
        let d6 = SIMD8<Float>(repeating: d[6]), d7 = SIMD8<Float>(repeating: d[7])
        @inline(__always) func half(_ p: UnsafeRawPointer, _ k: Int) -> SIMD8<Float> {
            SIMD8<Float>(p.loadUnaligned(fromByteOffset: 2 * k, as: SIMD8<Float16>.self))
        }
        let ry = UnsafeMutableRawPointer(y)
        var k = 0
        while k + 8 <= count {
            var a = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            var b = half(p4, k) * d4
            a = a.addingProduct(d0, half(p0, k))
            b = b.addingProduct(d5, half(p5, k))
            a = a.addingProduct(d1, half(p1, k))
            b = b.addingProduct(d6, half(p6, k))
            a = a.addingProduct(d2, half(p2, k))
            b = b.addingProduct(d7, half(p7, k))
            a = a.addingProduct(d3, half(p3, k))
            ry.storeBytes(of: a + b, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        let h = UnsafePointer<Float16>(OpaquePointer(rows))
        while k < count {
            var a = y[k], b = Float(h[Int(i[4]) * stride + k]) * d[4]
            for q in 0..<4 { a = a.addingProduct(d[q], Float(h[Int(i[q]) * stride + k])) }
            for q in 5..<8 { b = b.addingProduct(d[q], Float(h[Int(i[q]) * stride + k])) }
            y[k] = a + b
            k += 1
        }
    }

    @inlinable @inline(__always)
    static func addFourHalfRows(_ r0: UnsafePointer<Float16>, _ r1: UnsafePointer<Float16>, _ r2: UnsafePointer<Float16>,
                                _ r3: UnsafePointer<Float16>, deltas d: (Float, Float, Float, Float),
                                into y: UnsafeMutablePointer<Float>, count: Int) {
        let d0 = SIMD8<Float>(repeating: d.0), d1 = SIMD8<Float>(repeating: d.1)
        let d2 = SIMD8<Float>(repeating: d.2), d3 = SIMD8<Float>(repeating: d.3)
        let p0 = UnsafeRawPointer(r0), p1 = UnsafeRawPointer(r1), p2 = UnsafeRawPointer(r2), p3 = UnsafeRawPointer(r3)
        let ry = UnsafeMutableRawPointer(y)
        var k = 0
        while k + 8 <= count {
            var acc = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            acc = acc.addingProduct(d0, SIMD8<Float>(p0.loadUnaligned(fromByteOffset: 2 * k, as: SIMD8<Float16>.self)))
            acc = acc.addingProduct(d1, SIMD8<Float>(p1.loadUnaligned(fromByteOffset: 2 * k, as: SIMD8<Float16>.self)))
            acc = acc.addingProduct(d2, SIMD8<Float>(p2.loadUnaligned(fromByteOffset: 2 * k, as: SIMD8<Float16>.self)))
            acc = acc.addingProduct(d3, SIMD8<Float>(p3.loadUnaligned(fromByteOffset: 2 * k, as: SIMD8<Float16>.self)))
            ry.storeBytes(of: acc, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < count {
            y[k] = y[k].addingProduct(d.0, Float(r0[k])).addingProduct(d.1, Float(r1[k]))
                .addingProduct(d.2, Float(r2[k])).addingProduct(d.3, Float(r3[k]))
            k += 1
        }
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
