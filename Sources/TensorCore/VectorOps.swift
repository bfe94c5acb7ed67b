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
    /// combination of matrix rows added into y. y is read and written once, 64 lanes at a time held in
    /// registers across all t, so the work is one load and one fused multiply-add per row element.
    /// With `accumulating` (a, z), the updated y is then added into z as well, z += a y, while it is
    /// still in registers.
    @inlinable
    public static func addRows(_ rows: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>,
                               deltas: UnsafePointer<Float>, terms: Int, into y: UnsafeMutablePointer<Float>, count: Int,
                               accumulating: (scale: Float, into: UnsafeMutablePointer<Float>)? = nil) {
        guard terms > 0 else {
            if let (a, z) = accumulating { addScaled(a, y, into: z, count: count) }
            return
        }
        let ry = UnsafeMutableRawPointer(y)
        var c = 0
        while c + 64 <= count {
            var a0 = ry.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            var a1 = ry.loadUnaligned(fromByteOffset: 4 * (c + 8), as: SIMD8<Float>.self)
            var a2 = ry.loadUnaligned(fromByteOffset: 4 * (c + 16), as: SIMD8<Float>.self)
            var a3 = ry.loadUnaligned(fromByteOffset: 4 * (c + 24), as: SIMD8<Float>.self)
            var a4 = ry.loadUnaligned(fromByteOffset: 4 * (c + 32), as: SIMD8<Float>.self)
            var a5 = ry.loadUnaligned(fromByteOffset: 4 * (c + 40), as: SIMD8<Float>.self)
            var a6 = ry.loadUnaligned(fromByteOffset: 4 * (c + 48), as: SIMD8<Float>.self)
            var a7 = ry.loadUnaligned(fromByteOffset: 4 * (c + 56), as: SIMD8<Float>.self)
            for t in 0..<terms {
                let d = SIMD8<Float>(repeating: deltas[t])
                let r = UnsafeRawPointer(rows + Int(indices[t]) * stride + c)
                a0 = a0.addingProduct(d, r.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self))
                a1 = a1.addingProduct(d, r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                a2 = a2.addingProduct(d, r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
                a3 = a3.addingProduct(d, r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                a4 = a4.addingProduct(d, r.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self))
                a5 = a5.addingProduct(d, r.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self))
                a6 = a6.addingProduct(d, r.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self))
                a7 = a7.addingProduct(d, r.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self))
            }
            ry.storeBytes(of: a0, toByteOffset: 4 * c, as: SIMD8<Float>.self)
            ry.storeBytes(of: a1, toByteOffset: 4 * (c + 8), as: SIMD8<Float>.self)
            ry.storeBytes(of: a2, toByteOffset: 4 * (c + 16), as: SIMD8<Float>.self)
            ry.storeBytes(of: a3, toByteOffset: 4 * (c + 24), as: SIMD8<Float>.self)
            ry.storeBytes(of: a4, toByteOffset: 4 * (c + 32), as: SIMD8<Float>.self)
            ry.storeBytes(of: a5, toByteOffset: 4 * (c + 40), as: SIMD8<Float>.self)
            ry.storeBytes(of: a6, toByteOffset: 4 * (c + 48), as: SIMD8<Float>.self)
            ry.storeBytes(of: a7, toByteOffset: 4 * (c + 56), as: SIMD8<Float>.self)
            if let (a, z) = accumulating {
                let av = SIMD8<Float>(repeating: a), rz = UnsafeMutableRawPointer(z + c)
                @inline(__always) func add(_ block: SIMD8<Float>, _ k: Int) {
                    let zv = rz.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<Float>.self)
                    rz.storeBytes(of: zv.addingProduct(av, block), toByteOffset: 32 * k, as: SIMD8<Float>.self)
                }
                add(a0, 0); add(a1, 1); add(a2, 2); add(a3, 3); add(a4, 4); add(a5, 5); add(a6, 6); add(a7, 7)
            }
            c += 64
        }
        for t in 0..<terms where c < count {
            addScaled(deltas[t], rows + Int(indices[t]) * stride + c, into: y + c, count: count - c)
        }
        if let (a, z) = accumulating, c < count { addScaled(a, y + c, into: z + c, count: count - c) }
    }
}
