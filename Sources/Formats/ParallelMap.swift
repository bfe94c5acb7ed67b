import TensorCore

/// The fast paths' driver: fills a new matrix the shape of `w` by running `body` for task indices
/// 0..<tasks on all cores. Each task reads `src` and writes a disjoint part of `dst`, and returns the
/// number of non-finite inputs it saw, so no separate validation pass is needed on valid input.
///
/// - Returns: the filled matrix, or nil if any task saw NaN or infinity (the caller then throws the
///   precise error through `WeightCheck.requireFinite`).
/// - Complexity: one read of `w`, one write of the result; the result is not zero-filled first.
func parallelMap(_ w: Matrix, tasks: Int,
                 _ body: @Sendable (Int, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Int) -> Matrix? {
    assert(tasks >= 0, "parallelMap over \(tasks) tasks")
    var bad = [Int](repeating: 0, count: tasks)
    let data = w.data.withUnsafeBufferPointer { src in
        [Float](unsafeUninitializedCapacity: w.count) { dst, initialized in
            bad.withUnsafeMutableBufferPointer { flags in
                let (input, output, flagged) = (SharedBuffer(src), SharedBuffer(dst), SharedBuffer(flags))
                parallelFor(tasks) { t in flagged[t] = body(t, input.readOnly, output.buffer) }
            }
            initialized = w.count
        }
    }
    guard bad.allSatisfy({ $0 == 0 }) else { return nil }
    return Matrix(rows: w.rows, cols: w.cols, data: data)
}

/// 1 if `x` is NaN or infinite (exponent bits all ones), else 0; branch-free so loops stay vectorized.
@inlinable @inline(__always)
func nonFinite(_ x: Float) -> Int { (x.bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }

/// Absolute maximum of `w` on all cores, or nil if `w` holds NaN or infinity.
func finiteAbsMax(_ w: Matrix) -> Float? {
    let (chunks, size) = rowChunks(w.rows)
    var partial = [Float](repeating: 0, count: max(chunks, 1))
    var bad = [Int](repeating: 0, count: max(chunks, 1))
    w.data.withUnsafeBufferPointer { src in
        partial.withUnsafeMutableBufferPointer { part in
            bad.withUnsafeMutableBufferPointer { flags in
                let (src, part, flags) = (SharedBuffer(src), SharedBuffer(part), SharedBuffer(flags))
                let (rows, cols) = (w.rows, w.cols)
                parallelFor(chunks) { chunk in
                    var m: Float = 0, b = 0
                    for i in (chunk * size * cols)..<(min(rows, (chunk + 1) * size) * cols) {
                        let a = src[i].magnitude
                        m = a > m ? a : m
                        b &+= nonFinite(src[i])
                    }
                    part[chunk] = m
                    flags[chunk] = b
                }
            }
        }
    }
    return bad.allSatisfy { $0 == 0 } ? partial.max() ?? 0 : nil
}
