import TensorCore

/// Inputs of the ggml block quantizer tests, shared by the Formats tests (pinned bytes, checksums)
/// and the cross-module round trip through the GGUF reader. Their expected bytes come from
/// llama.cpp's own quantizers (libggml-base, commit 0c1e570), so the generators must not change.
public enum GGMLFixtures {
    /// A hand-readable row: x_j = (j - n/2) / (n/4) (a ramp from -2 up to just below 2), except
    /// x_7 = 5, an outlier in the first block.
    public static func ramp(_ n: Int) -> [Float] {
        var x = (0..<n).map { Float($0 - n / 2) / Float(n / 4) }
        x[7] = 5
        return x
    }

    /// importance_j = 1 + j % 3, for the ramp.
    public static func rampImportance(_ n: Int) -> [Float] { (0..<n).map { Float(1 + $0 % 3) } }

    /// A seeded matrix whose rows are of five kinds (row % 5): N(0, 0.02^2); N(0, 0.05^2) with every
    /// 37th value (column % 37 == 5) times 40; N(0, 1) with columns 16..<48 zero and 64..<96 all
    /// 0.01; negative only, -|N(0, 0.05^2)|; N(0, 1e-12), tiny. One Gaussian draw per element, in order.
    public static func mixed(rows: Int, cols: Int, seed: UInt64) -> Matrix {
        var rng = SplitMix64(seed: seed)
        var data = [Float]()
        data.reserveCapacity(rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let g = rng.nextGaussian()
                switch r % 5 {
                case 0: data.append(0.02 * g)
                case 1: data.append((c % 37 == 5 ? 40 : 1) * 0.05 * g)
                case 2: data.append((16..<48).contains(c) ? 0 : (64..<96).contains(c) ? 0.01 : g)
                case 3: data.append(-abs(0.05 * g))
                default: data.append(1e-6 * g)
                }
            }
        }
        return Matrix(rows: rows, cols: cols, data: data)
    }

    /// A seeded importance vector: N(0, 1)^2 + 0.01 per column, except 0 where column % 11 == 3.
    public static func importance(cols: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<cols).map { c in
            let g = rng.nextGaussian()
            return c % 11 == 3 ? 0 : g * g + 0.01
        }
    }

    /// 64-bit FNV-1a of `bytes`.
    public static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The bytes of a hex string ("0a29cd..."). - Precondition: an even number of hex digits.
    public static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd hex string")
        return stride(from: 0, to: digits.count, by: 2).map { i in
            UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16)!
        }
    }
}
