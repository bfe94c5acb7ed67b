/// Colours of formats in plan charts: the Okabe–Ito palette (distinguishable with colour-vision
/// deficiencies), assigned by ascending bits per weight (fewest bits = vermillion, most = grey), so
/// it never shares colours with the viridis score scale's meaning.
enum FormatPalette {
    static let colors: [RGB] = [
        RGB(0xd5, 0x5e, 0x00), RGB(0xe6, 0x9f, 0x00), RGB(0xf0, 0xe4, 0x42), RGB(0x00, 0x9e, 0x73),
        RGB(0x56, 0xb4, 0xe9), RGB(0x00, 0x72, 0xb2), RGB(0xcc, 0x79, 0xa7), RGB(0x99, 0x99, 0x99),
    ]

    /// Colour of the format at `rank` in ascending-bits order (cycling beyond eight formats).
    static func color(rank: Int) -> RGB { colors[rank % colors.count] }

    /// Black or white, whichever reads better on `background`.
    static func textColor(on background: RGB) -> String { background.luminance > 0.5 ? "#000000" : "#ffffff" }
}
