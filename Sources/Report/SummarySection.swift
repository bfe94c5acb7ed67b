import Sensitivity

/// Model, calibration, estimator and candidate formats.
struct SummarySection: ReportSection {
    let context: ReportContext
    var id: String { "summary" }
    var title: String { "Model and calibration" }

    /// (label, value) pairs shared by the HTML and markdown tables.
    var facts: [(String, String)] {
        let p = context.profile, a = context.analysis
        let c = p.calibration
        var rows: [(String, String)] = [
            ("model", p.model.path),
            ("architecture", p.model.architecture),
            ("parameters", "\(HumanNumber.grouped(p.model.totalParameters)) (\(HumanNumber.parameters(p.model.totalParameters)))"),
            ("searched layers", "\(HumanNumber.grouped(p.layers.count)) layers, \(HumanNumber.grouped(a.searchedParameters)) parameters"),
            ("fixed tensors", "\(HumanNumber.grouped(p.model.fixedTensors.count)) tensors, \(HumanNumber.grouped(a.fixedParameters)) parameters, "
                + "\(HumanNumber.bytes(bits: a.fixedBits)) as stored"),
            ("fingerprint", p.model.fingerprint),
            ("calibration text", c.file + (c.sha256.isEmpty ? "" : " (sha256 \(c.sha256.prefix(12))…)")),
            ("calibration tokens", "\(HumanNumber.grouped(c.samples)) samples × \(HumanNumber.grouped(c.sequenceLength)) tokens "
                + "= \(HumanNumber.grouped(c.tokens)) tokens, seed \(c.seed)"),
            ("estimator", p.estimator),
            ("bit counting", "\(a.counting.rawValue), averages over \(a.scope == .searched ? "the searched layers" : "the whole model")"),
        ]
        if let t = p.timings, !t.isEmpty {
            rows.append(("profiling time", t.map { "\($0.stage) \(HumanNumber.seconds($0.seconds))" }.joined(separator: ", ")))
        }
        return rows
    }

    /// One row per candidate format, by ascending bits.
    var formatRows: [[String]] {
        let a = context.analysis
        return a.formatOrder.map { f in
            let facts = a.formats[f]
            let b = a.baselines.first { $0.format == facts.name }
            return [context.formatLabel(f), HumanNumber.significant(facts.bitsPerWeight),
                    HumanNumber.significant(b?.predictedLoss ?? .nan), HumanNumber.grouped(facts.zeroLayers)]
        }
    }

    static let formatHeaders = ["format", "bits/weight", "predicted loss if used everywhere (nats/token)", "layers scoring 0"]

    func html(_ b: inout HTMLBuilder) {
        b.element(.table, [("class", "facts")]) { b in
            b.element(.tbody) { b in
                for (k, v) in facts {
                    b.element(.tr) { b in
                        b.element(.th, [("scope", "row")], text: k)
                        b.element(.td, text: v)
                    }
                }
            }
        }
        b.element(.h3, text: "Candidate formats")
        b.table(Self.formatHeaders, numeric: [1, 2, 3], rows: formatRows)
        if let note = HeatmapSection(context: context).exactFormatNote() { b.paragraph(note, className: "note") }
    }

    func markdown(_ m: inout MarkdownBuilder) {
        m.table(["", "value"], [.left, .left], facts.map { [$0.0, $0.1] })
        m.heading(3, "Candidate formats")
        m.table(Self.formatHeaders, [.left, .right, .right, .right], formatRows)
    }
}
