import Foundation

/// An sRGB colour with 8 bits per channel.
public struct RGB: Sendable, Equatable, Hashable {
    public var red: UInt8, green: UInt8, blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `#rrggbb`, lower case.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for c in [red, green, blue] {
            s.append(digits[Int(c >> 4)])
            s.append(digits[Int(c & 15)])
        }
        return s
    }

    /// Relative luminance (ITU-R BT.709 weights on the 8-bit values, 0...1), used to pick a readable
    /// text colour (black above 0.5, white below).
    public var luminance: Double {
        (0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)) / 255
    }
}

/// The viridis palette (perceptually uniform, readable in grey scale and by colour-blind readers):
/// matplotlib's viridis sampled at 11 evenly spaced points, interpolated linearly in sRGB between them.
public enum Viridis {
    /// viridis(0), viridis(0.1), ..., viridis(1).
    public static let stops: [RGB] = [
        RGB(0x44, 0x01, 0x54), RGB(0x48, 0x24, 0x75), RGB(0x41, 0x44, 0x87), RGB(0x35, 0x5f, 0x8d),
        RGB(0x2a, 0x78, 0x8e), RGB(0x21, 0x91, 0x8c), RGB(0x22, 0xa8, 0x84), RGB(0x44, 0xbf, 0x70),
        RGB(0x7a, 0xd1, 0x51), RGB(0xbd, 0xdf, 0x26), RGB(0xfd, 0xe7, 0x25),
    ]

    /// The colour at `t` in [0, 1] (clamped): 0 is dark purple `#440154`, 1 is yellow `#fde725`.
    public static func color(at t: Double) -> RGB {
        let x = min(max(t.isNaN ? 0 : t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Double(p) + (Double(q) - Double(p)) * f).rounded()) }
        return RGB(mix(a.red, b.red), mix(a.green, b.green), mix(a.blue, b.blue))
    }
}

/// How one heatmap cell is painted.
public enum CellFill: Sendable, Equatable {
    /// A score of exactly zero (the format reproduces the weights): drawn with a hatch, not a colour.
    case zero
    case color(RGB)
}

/// A logarithmic colour scale for scores: log10(score) from the smallest to the largest positive
/// score maps linearly onto viridis (smallest = dark, largest = yellow). Zero scores have no place on
/// a log scale and are shown distinctly (`CellFill.zero`).
public struct LogColorScale: Sendable, Equatable {
    /// Smallest positive value (the dark end).
    public let minimum: Double
    /// Largest value (the bright end).
    public let maximum: Double

    /// A scale spanning the positive finite values; if there are none, the scale is [1, 1].
    /// - Complexity: O(n).
    public init<S: Sequence>(values: S) where S.Element == Double {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v > 0 && v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        if lo > hi { lo = 1; hi = 1 }
        minimum = lo
        maximum = hi
    }

    public init(minimum: Double, maximum: Double) {
        precondition(minimum > 0 && maximum >= minimum, "a log scale needs 0 < minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Position of `value` on the scale in [0, 1] (clamped); nil for zero or negative values.
    /// A scale with minimum == maximum puts every positive value at 1.
    public func position(_ value: Double) -> Double? {
        guard value > 0 else { return nil }
        guard maximum > minimum else { return 1 }
        let t = (log10(value) - log10(minimum)) / (log10(maximum) - log10(minimum))
        return min(max(t, 0), 1)
    }

    /// The fill of a cell with `value`.
    public func fill(_ value: Double) -> CellFill {
        position(value).map { .color(Viridis.color(at: $0)) } ?? .zero
    }

    /// Decades between the ends, e.g. [1e-6, 1e-2] -> 4.
    public var decades: Double { log10(maximum) - log10(minimum) }
}
