import XCTest
@testable import Sensitivity

/// `ProbeGain`: a format's gain interpolated in ln(output error) between the layer's probes.
final class ProbeGainTests: XCTestCase {
    /// Probes (e, KL) = (1, 1) and (4, 8): gains 1 and 2. e = 2 lies halfway in ln e (ln 2 / ln 4 =
    /// 1/2), so its gain is 1.5; e = 1.5: t = ln 1.5 / ln 4 = 0.29248, gain 1.29248. Outside the
    /// probes the nearest probe's gain holds (no extrapolation).
    func testInterpolatesInLogErrorAndClampsOutside() {
        let probes = [ProbeGain.Point(outputError: 4, kl: 8), ProbeGain.Point(outputError: 1, kl: 1)]
        XCTAssertEqual(ProbeGain.gain(outputError: 2, probes: probes), 1.5, accuracy: 1e-12)
        XCTAssertEqual(ProbeGain.gain(outputError: 1.5, probes: probes), 1 + log(1.5) / log(4), accuracy: 1e-12)
        XCTAssertEqual(ProbeGain.gain(outputError: 1, probes: probes), 1, accuracy: 1e-12)
        XCTAssertEqual(ProbeGain.gain(outputError: 4, probes: probes), 2, accuracy: 1e-12)
        XCTAssertEqual(ProbeGain.gain(outputError: 0.01, probes: probes), 1)
        XCTAssertEqual(ProbeGain.gain(outputError: 1000, probes: probes), 2)
        XCTAssertEqual(ProbeGain.gain(outputError: 0, probes: probes), 1)
    }

    /// Three probes: the interval around e decides; one probe gives every format its gain.
    func testPicksTheEnclosingIntervalAndOneProbeIsConstant() {
        let probes = [ProbeGain.Point(outputError: 1, kl: 3), ProbeGain.Point(outputError: 10, kl: 10),
                      ProbeGain.Point(outputError: 100, kl: 500)]
        // Between 10 (gain 1) and 100 (gain 5): e = 10^1.25 is a quarter of the way, gain 2.
        XCTAssertEqual(ProbeGain.gain(outputError: pow(10, 1.25), probes: probes), 2, accuracy: 1e-12)
        // Between 1 (gain 3) and 10 (gain 1): e = 10^0.5 is halfway, gain 2.
        XCTAssertEqual(ProbeGain.gain(outputError: pow(10, 0.5), probes: probes), 2, accuracy: 1e-12)
        let one = [ProbeGain.Point(outputError: 2, kl: 0.5)]
        for e in [0.001, 2, 7e5] { XCTAssertEqual(ProbeGain.gain(outputError: e, probes: one), 0.25) }
    }

    /// A probe that reproduces the layer (output error 0) carries no slope and is skipped; with no usable
    /// probe the gain is 0; a negative KL counts as 0; probes at the same error are averaged.
    func testDegenerateProbes() {
        XCTAssertEqual(ProbeGain.gain(outputError: 3, probes: []), 0)
        XCTAssertEqual(ProbeGain.gain(outputError: 3, probes: [.init(outputError: 0, kl: 0)]), 0)
        XCTAssertEqual(ProbeGain.gain(outputError: 3, probes: [.init(outputError: 0, kl: 0), .init(outputError: 2, kl: 1)]), 0.5)
        XCTAssertEqual(ProbeGain.gain(outputError: 3, probes: [.init(outputError: 2, kl: -1e-9)]), 0)
        XCTAssertEqual(ProbeGain.gain(outputError: 3, probes: [.init(outputError: 2, kl: 1), .init(outputError: 2, kl: 3)]), 1)
        XCTAssertEqual(ProbeGain.gain(outputError: 3, probes: [.init(outputError: .nan, kl: 1), .init(outputError: 2, kl: 3)]), 1.5)
    }

    /// The default probes are int3/g128 and int4/g128; one named probe alone is the single-probe
    /// estimator; duplicates and an empty list are refused; the estimator's revision is 2.
    func testProbeOptions() throws {
        XCTAssertEqual(ProfilerOptions().probeFormats.map(\.name), ["int3/g128", "int4/g128"])
        XCTAssertEqual(ProfilerOptions(probeFormat: .mxfp4).probeFormats, [.mxfp4])
        var options = ProfilerOptions()
        options.probeFormats = [.mxfp4, .mxfp4]
        XCTAssertThrowsError(try options.validate())
        options.probeFormats = []
        XCTAssertThrowsError(try options.validate())
        XCTAssertThrowsError(try ProfilerOptions.parseFormats("int3,int3", option: "--probe-format")) { error in
            XCTAssertTrue(error.localizedDescription.contains("--probe-format"), error.localizedDescription)
        }
        XCTAssertEqual(SensitivityEstimator.calibrated.definitionRevision, 3)
        XCTAssertEqual(SensitivityEstimator.kl.definitionRevision, 1)
    }
}
