import TensorCore
import Formats

extension SignRoundParameters {
    /// Starts the clips at `adjustments`' (e.g. importance-weighted RTN's scales) instead of 1; V stays 0.
    /// Clips missing from `adjustments` stay 1.
    /// - Throws: `QuantError.invalidAdjustments` naming `name` for clips of the wrong count or outside [0.5, 1].
    public mutating func start(from adjustments: RoundingAdjustments, name: String = "weight") throws {
        try adjustments.validate(tensor: name, weights: offsets.count, groups: maxClip.count, allowsMinClip: layout.hasMinClip)
        if let a = adjustments.maxClip { maxClip = a }
        if let b = adjustments.minClip { minClip = b }
    }
}
