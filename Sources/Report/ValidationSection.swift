import Foundation
import Sensitivity

/// The estimator's agreement with measured KL: Spearman, Pearson, and a predicted-vs-measured scatter.
struct ValidationSection: ReportSection {
    let context: ReportContext
    var id: String { "validation" }
    var title: String { "Estimator validation" }

    var validations: [EstimatorValidation] { context.profile.validation ?? [] }

    var rows: [[String]] {
        validations.map { v in
            [v.estimator, HumanNumber.significant(v.spearman), HumanNumber.significant(v.pearson),
             HumanNumber.grouped(v.points.count)]
        }
    }

    static let headers = ["estimator", "Spearman ρ", "Pearson r", "points"]

    func html(_ b: inout HTMLBuilder) {
        guard !validations.isEmpty else {
            b.paragraph("The profile has no validation data (profile with --validate K to measure the estimator against true KL).",
                        className: "note")
            return
        }
        b.paragraph("Each point is one mixed plan: the estimator's prediction (the sum of the chosen formats' scores) "
                    + "against the KL divergence measured on held-out calibration windows (\(ReportContext.lossUnit)). "
                    + "Predictions are in the estimator's own units (nats/token for KL-based estimators); the ranks "
                    + "(Spearman) matter for the search. Points on the dashed diagonal are predicted exactly.")
        b.table(Self.headers, numeric: [1, 2, 3], rows: rows)
        b.element(.div, [("class", "charts")]) { b in
            for v in validations { scatter(&b, v) }
        }
    }

    private func scatter(_ b: inout HTMLBuilder, _ v: EstimatorValidation) {
        let values = v.points.flatMap { [$0.predicted, $0.measured] }
        let positive = values.allSatisfy { $0 > 0 }
        let kind: Axis.Kind = positive ? .log10 : .linear
        let axis = Axis.covering(values, kind: kind)
        let frame = PlotFrame(width: 420, height: 360)
        b.element(.figure) { b in
            SVGPlot.open(&b, frame, title: "Predicted vs measured KL, \(v.estimator)")
            SVGPlot.axes(&b, frame, x: axis, y: axis, xLabel: "predicted by \(v.estimator)",
                         yLabel: "measured KL (\(ReportContext.lossUnit))")
            b.empty(.line, [("x1", SVGPlot.px(frame.x(0))), ("y1", SVGPlot.px(frame.y(0))),
                            ("x2", SVGPlot.px(frame.x(1))), ("y2", SVGPlot.px(frame.y(1))), ("class", "diagonal")])
            for p in v.points {
                let what = [p.layer, p.format?.name].compactMap { $0 }.joined(separator: " · ")
                SVGPlot.marker(&b, .circle, x: frame.x(axis.unit(p.predicted)), y: frame.y(axis.unit(p.measured)), size: 3.5,
                               className: "point", tooltip: (what.isEmpty ? "plan" : what)
                                   + ": predicted \(HumanNumber.significant(p.predicted)), measured \(HumanNumber.significant(p.measured))")
            }
            b.close(.svg)
            b.element(.figcaption, text: "\(v.estimator): Spearman ρ = \(HumanNumber.significant(v.spearman)), "
                      + "Pearson r = \(HumanNumber.significant(v.pearson)), \(v.points.count) points")
        }
    }

    func markdown(_ m: inout MarkdownBuilder) {
        guard !validations.isEmpty else {
            m.paragraph("The profile has no validation data.")
            return
        }
        m.table(Self.headers, [.left, .right, .right, .right], rows)
    }
}
