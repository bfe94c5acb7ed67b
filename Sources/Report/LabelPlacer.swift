/// Places short point labels next to their points without overlapping each other: tries right-above,
/// right-below, left-above, left-below, then further out, and takes the first free spot.
struct LabelPlacer {
    private var boxes: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []
    /// Approximate glyph width of the 10.5 px label font, in pixels per character.
    var charWidth = 6.2
    var lineHeight = 12.0

    /// Text anchor position (start anchor, baseline y) for `text` near the point (px, py).
    mutating func place(_ text: String, px: Double, py: Double) -> (x: Double, y: Double) {
        let w = Double(text.count) * charWidth
        let offsets: [(Double, Double)] = [(7, -5), (7, 14), (-7 - w, -5), (-7 - w, 14), (7, -18), (7, 27),
                                           (-7 - w, -18), (-7 - w, 27), (7, -31), (7, 40)]
        for (dx, dy) in offsets {
            let box = (x0: px + dx, y0: py + dy - lineHeight + 2, x1: px + dx + w, y1: py + dy + 2)
            if !boxes.contains(where: { $0.x0 < box.x1 && box.x0 < $0.x1 && $0.y0 < box.y1 && box.y0 < $0.y1 }) {
                boxes.append(box)
                return (px + dx, py + dy)
            }
        }
        return (px + 7, py - 5)
    }
}
