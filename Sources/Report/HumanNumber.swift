import Foundation

/// Numbers formatted for people: thousands separators, three significant digits, units.
///
/// Rules (pinned by `HumanNumberTests`):
/// - integers (counts) are written in full with `,` every three digits: `134515008` -> `134,515,008`;
/// - other values keep `digits` significant digits, rounded half away from zero, trailing zeros kept
///   (`0.5` -> `0.500`), thousands separators in the integer part (`12345.6` -> `12,300`);
/// - magnitudes below 0.001 or at least 1,000,000 switch to scientific notation with the same
///   number of significant digits (`0.0000123` -> `1.23e-5`, `4.5e9` -> `4.50e9`);
/// - zero is `0`, NaN is `n/a`, infinities are `∞` / `-∞`.
public enum HumanNumber {
    /// `n` with a comma every three digits.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        out.reserveCapacity(digits.count + digits.count / 3 + 1)
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// `x` with `digits` significant digits (see the type's rules).
    public static func significant(_ x: Double, digits: Int = 3) -> String {
        precondition(digits >= 1 && digits <= 15, "significant digits must be in 1...15")
        if x.isNaN { return "n/a" }
        if x.isInfinite { return x > 0 ? "∞" : "-∞" }
        if x == 0 { return "0" }
        let sign = x < 0 ? "-" : ""
        var exponent = Int(floor(log10(abs(x))))
        var mantissa = (abs(x) / pow(10, Double(exponent - digits + 1))).rounded(.toNearestOrAwayFromZero)
        if mantissa < pow(10, Double(digits - 1)) {  // log10 came out just above an integer
            exponent -= 1
            mantissa = (abs(x) / pow(10, Double(exponent - digits + 1))).rounded(.toNearestOrAwayFromZero)
        }
        if mantissa >= pow(10, Double(digits)) {  // 9.996 -> 10.0: the rounding carried into a new digit
            exponent += 1
            mantissa = (mantissa / 10).rounded(.toNearestOrAwayFromZero)
        }
        let mantissaDigits = String(Int(mantissa))
        if exponent < -3 || exponent >= 6 {
            var m = String(mantissaDigits.prefix(1))
            if digits > 1 { m += "." + mantissaDigits.dropFirst() }
            return "\(sign)\(m)e\(exponent)"
        }
        let decimals = max(0, digits - 1 - exponent)
        if decimals == 0 {
            let integer = Int(mantissa) * Int(pow(10, Double(exponent - digits + 1)).rounded())
            return sign + grouped(integer)
        }
        // value = mantissa x 10^-decimals: split the digit string at the decimal point.
        let padded = String(repeating: "0", count: max(0, decimals + 1 - mantissaDigits.count)) + mantissaDigits
        let integerPart = Int(padded.dropLast(decimals)) ?? 0
        return sign + grouped(integerPart) + "." + padded.suffix(decimals)
    }

    /// Bits per weight, e.g. `4.25 bits/weight`.
    public static func bitsPerWeight(_ bits: Double) -> String { significant(bits) + " bits/weight" }

    /// Storage size of `bits` in decimal units: `B`, `kB`, `MB`, `GB`, `TB` (1 kB = 1000 B).
    public static func bytes(bits: Int) -> String {
        let bytes = Double(bits) / 8
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = bytes, unit = 0
        while abs(value) >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return (unit == 0 ? grouped(Int(value.rounded())) : significant(value)) + " " + units[unit]
    }

    /// A parameter count in words: `134,515,008` -> `135 M`; below 10,000 written in full.
    public static func parameters(_ n: Int) -> String {
        let value = Double(n)
        if abs(value) >= 1e9 { return significant(value / 1e9) + " B" }
        if abs(value) >= 1e6 { return significant(value / 1e6) + " M" }
        if abs(value) >= 1e4 { return significant(value / 1e3) + " k" }
        return grouped(n)
    }

    /// A duration: `850 µs`, `12.3 ms`, `1.23 s`, `2.05 min`.
    public static func seconds(_ s: Double) -> String {
        if !s.isFinite { return significant(s) }
        if s < 1e-3 { return significant(s * 1e6) + " µs" }
        if s < 1 { return significant(s * 1e3) + " ms" }
        if s < 120 { return significant(s) + " s" }
        return significant(s / 60) + " min"
    }

    /// A fraction in [0, 1] as a percentage with three significant digits: `0.1234` -> `12.3 %`.
    public static func percent(_ fraction: Double) -> String { significant(fraction * 100) + " %" }
}

extension HumanNumber {
    /// `significant(x, digits:)` without trailing zeros after the decimal point, for axis ticks:
    /// `2.50` -> `2.5`, `1.00e-5` -> `1e-5`, `12,300` stays.
    public static func compact(_ x: Double, digits: Int = 3) -> String {
        let s = significant(x, digits: digits)
        guard s.contains(".") else { return s }
        let parts = s.split(separator: "e", maxSplits: 1)
        var mantissa = String(parts[0])
        while mantissa.hasSuffix("0") { mantissa.removeLast() }
        if mantissa.hasSuffix(".") { mantissa.removeLast() }
        return parts.count == 2 ? mantissa + "e" + parts[1] : mantissa
    }
}
