import Foundation
import Quant
import Formats

extension PlanComparisonResult {
    /// The markdown report: settings, one table (budget, variant, plan, bits, predicted loss, PPL, KL,
    /// top-1, stage seconds), the skipped variants, and per budget whether the searched plan with
    /// SignRound beats the uniform and heuristic baselines (lower KL and lower PPL).
    public func markdown() -> String {
        var lines = [
            "# Benchmark: searched plan vs baselines",
            "",
            "Model `\(fileName(model))`; profile `\(fileName(profile))` (estimator `\(estimator)`).",
            evaluationTokens == 0 ? "Plans only: nothing quantized or evaluated." :
            String(format: "Evaluation: %@, %d windows x %d tokens of %d; original PPL %.3f. SignRound: %d iterations, %d calibration windows.",
                   fileName(evaluationText), windows, ctx, evaluationTokens, originalPPL,
                   iterations, calibrationWindows),
            String(format: "Setup (model, texts, profile, all plans): %.1f s.", setupSeconds),
            "",
            "| budget | variant | plan | bits | predicted | PPL | KL | top-1 | plan s | quantize s | evaluate s |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            lines.append(String(format: "| %.4g | %@ | %@ | %.4f | %.4g | %.3f | %.4f | %.1f%% | %.3f | %.1f | %.1f |",
                                r.budget, r.variant.rawValue, r.plan, r.achievedBits, r.predictedLoss, r.ppl, r.kl,
                                100 * r.top1Agree, r.planSeconds, r.quantizeSeconds, r.evaluateSeconds))
        }
        if !skipped.isEmpty {
            lines += ["", "Skipped:"] + skipped.map { String(format: "- %.4g bits %@: %@", $0.budget, $0.variant.rawValue, $0.reason) }
        }
        let verdicts = comparisons()
        if !verdicts.isEmpty { lines += ["", "Searched + SignRound against the baselines (lower KL and lower PPL wins):"] + verdicts }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The last component of `path` (a file or folder name): the markdown names its inputs without the
    /// absolute paths of the machine that ran the benchmark.
    private func fileName(_ path: String) -> String { (path as NSString).lastPathComponent }

    /// One line per budget and baseline present: "- 3 bits vs uniform+signround: beats (KL 0.41 vs 0.52, PPL ...)".
    func comparisons() -> [String] {
        var out: [String] = []
        for budget in rows.map(\.budget).reduce(into: [Double](), { if !$0.contains($1) { $0.append($1) } }) {
            guard let searched = rows.first(where: { $0.budget == budget && $0.variant == .searchedSignRound }) else { continue }
            for baseline in [PlanVariant.uniformSignRound, .heuristicSignRound] {
                guard let other = rows.first(where: { $0.budget == budget && $0.variant == baseline }),
                      searched.kl.isFinite, other.kl.isFinite else { continue }
                let wins = searched.kl < other.kl && searched.ppl < other.ppl
                out.append(String(format: "- %.4g bits vs %@: %@ (KL %.4f vs %.4f, PPL %.3f vs %.3f)", budget,
                                  baseline.rawValue, wins ? "beats" : "DOES NOT BEAT", searched.kl, other.kl,
                                  searched.ppl, other.ppl))
            }
        }
        return out
    }
}
