import Foundation

/// One axis of a chart: a value range and how values map onto it.
public struct Axis: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case linear, log10 }

    public var lower: Double
    public var upper: Double
    public var kind: Kind

    /// An axis covering `values` (finite ones; positive ones for log10), widened to whole decades
    /// (log10) or to nice tick steps (linear). Empty input gives [0, 1] or [0.1, 1].
    public static func covering(_ values: [Double], kind: Kind) -> Axis {
        let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        guard var lo = usable.min(), var hi = usable.max() else {
            return Axis(lower: kind == .linear ? 0 : 0.1, upper: 1, kind: kind)
        }
        switch kind {
        case .log10:
            lo = pow(10, floor(log10(lo)))
            hi = pow(10, ceil(log10(hi)))
            if hi <= lo { hi = lo * 10 }
        case .linear:
            if hi <= lo { lo -= 0.5; hi += 0.5 }
            let step = Axis.niceStep((hi - lo) / 5)
            lo = floor(lo / step) * step
            hi = ceil(hi / step) * step
        }
        return Axis(lower: lo, upper: hi, kind: kind)
    }

    /// Position of `value` in [0, 1] along the axis (not clamped; log10 of non-positive values is -inf).
    public func unit(_ value: Double) -> Double {
        switch kind {
        case .linear: return (value - lower) / (upper - lower)
        case .log10: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// Tick values: multiples of a 1-2-5 step (linear, about 5 ticks) or powers of ten (log10;
    /// every second or third power when the axis spans more than 8 decades).
    public var ticks: [Double] {
        switch kind {
        case .linear:
            let step = Axis.niceStep((upper - lower) / 5)
            let first = ceil(lower / step - 1e-9)
            let last = floor(upper / step + 1e-9)
            guard first <= last else { return [] }
            return stride(from: first, through: last, by: 1).map { ($0 * step * 1e9).rounded() / 1e9 }
        case .log10:
            let a = Int(ceil(log10(lower) - 1e-9)), b = Int(floor(log10(upper) + 1e-9))
            guard a <= b else { return [] }
            let every = max(1, (b - a + 7) / 8)
            return stride(from: a, through: b, by: every).map { pow(10, Double($0)) }
        }
    }

    /// The smallest of 1, 2, 5 x 10^k that is at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }
}

/// The drawing area of a chart: total size and the margins around the plot.
public struct PlotFrame: Sendable {
    public var width: Double, height: Double
    public var left = 70.0, right = 20.0, top = 20.0, bottom = 50.0

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// x pixel of a unit position (0 = left edge of the plot).
    public func x(_ unit: Double) -> Double { left + unit * (width - left - right) }
    /// y pixel of a unit position (0 = bottom of the plot).
    public func y(_ unit: Double) -> Double { height - bottom - unit * (height - top - bottom) }
}

/// Drawing primitives shared by the charts.
enum SVGPlot {
    /// A coordinate with one decimal, the precision a chart needs.
    static func px(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let tenths = Int((v * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let m = tenths.magnitude
        return m % 10 == 0 ? "\(sign)\(m / 10)" : "\(sign)\(m / 10).\(m % 10)"
    }

    /// Opens an `<svg>` element of the frame's size with an accessible title.
    static func open(_ b: inout HTMLBuilder, _ frame: PlotFrame, title: String, className: String = "chart") {
        b.open(.svg, [("xmlns", "http://www.w3.org/2000/svg"), ("class", className),
                      ("width", px(frame.width)), ("height", px(frame.height)),
                      ("viewBox", "0 0 \(px(frame.width)) \(px(frame.height))"), ("role", "img")])
        b.element(.title, text: title)
    }

    /// Axes with ticks, grid lines, tick labels and axis titles.
    static func axes(_ b: inout HTMLBuilder, _ frame: PlotFrame, x: Axis, y: Axis, xLabel: String, yLabel: String,
                     xTicks: Bool = true) {
        b.open(.g, [("class", "axes")])
        b.empty(.rect, [("x", px(frame.left)), ("y", px(frame.top)), ("width", px(frame.x(1) - frame.x(0))),
                        ("height", px(frame.y(0) - frame.y(1))), ("class", "plot-area")])
        for t in xTicks ? x.ticks : [] {
            let px0 = px(frame.x(x.unit(t)))
            b.empty(.line, [("x1", px0), ("x2", px0), ("y1", px(frame.y(0))), ("y2", px(frame.y(1))), ("class", "grid")])
            b.element(.text, [("x", px0), ("y", px(frame.y(0) + 16)), ("class", "tick"), ("text-anchor", "middle")],
                      text: HumanNumber.compact(t))
        }
        for t in y.ticks {
            let py = px(frame.y(y.unit(t)))
            b.empty(.line, [("x1", px(frame.x(0))), ("x2", px(frame.x(1))), ("y1", py), ("y2", py), ("class", "grid")])
            b.element(.text, [("x", px(frame.x(0) - 6)), ("y", px(frame.y(y.unit(t)) + 4)), ("class", "tick"),
                              ("text-anchor", "end")], text: HumanNumber.compact(t))
        }
        b.element(.text, [("x", px((frame.x(0) + frame.x(1)) / 2)), ("y", px(frame.height - 10)),
                          ("class", "axis-label"), ("text-anchor", "middle")], text: xLabel)
        let cy = (frame.y(0) + frame.y(1)) / 2
        b.element(.text, [("x", "14"), ("y", px(cy)), ("class", "axis-label"), ("text-anchor", "middle"),
                          ("transform", "rotate(-90 14 \(px(cy)))")], text: yLabel)
        b.close(.g)
    }

    /// A marker at (x, y) with a tooltip. Shapes: circle, square, diamond, triangle.
    static func marker(_ b: inout HTMLBuilder, _ shape: MarkerShape, x: Double, y: Double, size: Double = 4,
                       className: String, tooltip: String) {
        switch shape {
        case .circle:
            b.element(.circle, [("cx", px(x)), ("cy", px(y)), ("r", px(size)), ("class", className)]) {
                $0.element(.title, text: tooltip)
            }
        case .square, .diamond, .triangle:
            let d: String
            switch shape {
            case .square: d = "M\(px(x - size)) \(px(y - size))h\(px(2 * size))v\(px(2 * size))h\(px(-2 * size))z"
            case .diamond: d = "M\(px(x)) \(px(y - size * 1.3))l\(px(size * 1.3)) \(px(size * 1.3))l\(px(-size * 1.3)) \(px(size * 1.3))l\(px(-size * 1.3)) \(px(-size * 1.3))z"
            default: d = "M\(px(x)) \(px(y - size * 1.3))l\(px(size * 1.2)) \(px(size * 2.1))h\(px(-size * 2.4))z"
            }
            b.element(.path, [("d", d), ("class", className)]) { $0.element(.title, text: tooltip) }
        }
    }
}

/// Marker shapes, so series stay distinguishable in grey-scale print.
enum MarkerShape: Sendable { case circle, square, diamond, triangle }
