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
