import Formats
import IO

/// The one validator of profile files, shared by every command that reads one (`search`, `report`,
/// `run`'s profile cache, the plan comparison): everything the search, the report and the bit
/// accounting compute from a profile stays in range once it passes (bounds in `InputLimits`).
extension SensitivityProfile {
    /// Checks ranges and consistency: unique formats, at least one layer, unique layer names, shapes
    /// [out, in] with sizes in 1...2^24, parameters = out x in <= 2^40, every layer measured in every
    /// format, scores finite and >= 0, bits in 1...64 x parameters, fixed tensors likewise, and the
    /// model's parameters (searched plus fixed) at most 2^48. Formats are canonical names by type:
    /// decoding refuses any other name.
    /// - Throws: `ProfileError.invalid` naming the file, the layer (or field) and the bound.
    public func validate(file: String) throws {
        guard schema == Self.currentSchema else { throw ProfileError.unsupportedSchema(file: file, found: schema) }
        guard !formats.isEmpty else { throw ProfileError.invalid(file: file, layer: nil, problem: "no candidate formats") }
        guard Set(formats).count == formats.count else {
            throw ProfileError.invalid(file: file, layer: nil, problem: "formats are listed twice")
        }
        guard !layers.isEmpty else {
            throw ProfileError.invalid(file: file, layer: nil, problem: "layers is empty; expected at least one searched layer")
        }
        guard layers.count <= InputLimits.layers else {
            throw ProfileError.invalid(file: file, layer: nil,
                                       problem: "\(layers.count) layers; at most \(InputLimits.layers) are supported")
        }
        var names = Set<String>(), total = 0
        for layer in layers {
            guard names.insert(layer.name).inserted else {
                throw ProfileError.invalid(file: file, layer: layer.name, problem: "name appears twice")
            }
            try validate(layer, file: file)
            total = try addParameters(total, layer.parameters, file: file, place: layer.name)
        }
        for fixed in model.fixedTensors {
            try Self.checkCount(fixed.parameters, bits: fixed.bits, file: file, place: fixed.name)
            total = try addParameters(total, fixed.parameters, file: file, place: fixed.name)
        }
        guard (0...InputLimits.modelParameters).contains(model.totalParameters) else {
            throw ProfileError.invalid(file: file, layer: nil, problem: "model.total_parameters \(model.totalParameters) "
                                       + "is not in 0...\(InputLimits.modelParameters)")
        }
        guard calibration.samples >= 0, calibration.sequenceLength >= 0, calibration.tokens >= 0 else {
            throw ProfileError.invalid(file: file, layer: nil, problem: "calibration nsamples, seqlen and tokens must be >= 0")
        }
    }

    private func validate(_ layer: ProfileLayer, file: String) throws {
        func fail(_ problem: String) -> ProfileError { .invalid(file: file, layer: layer.name, problem: problem) }
        let maxSize = InputLimits.dimension
        guard layer.shape.count == 2, layer.shape.allSatisfy({ (1...maxSize).contains($0) }) else {
            throw fail("shape \(layer.shape) is not [out, in] with sizes in 1...\(maxSize)")
        }
        guard let product = InputLimits.product(layer.shape, atMost: InputLimits.tensorElements),
              layer.parameters == product else {
            throw fail("parameters \(layer.parameters) != \(layer.shape[0]) x \(layer.shape[1])"
                       + " (at most \(InputLimits.tensorElements))")
        }
        if let block = layer.block, !(0..<InputLimits.blocks).contains(block) {
            throw fail("block \(block) is not in 0..<\(InputLimits.blocks)")
        }
        // Every format is a candidate, but an activation format whose group does not divide the inputs.
        let expected = formats.filter { $0.acceptsInputs(layer.shape[1]) }
        guard Set(layer.candidates.map(\.format)) == Set(expected), layer.candidates.count == expected.count else {
            throw fail("candidates \(layer.candidates.map(\.format.name)) do not match formats \(expected.map(\.name))")
        }
        for candidate in layer.candidates {
            guard candidate.score.isFinite, candidate.score >= 0 else {
                throw fail("score \(candidate.score) for \(candidate.format) is not a finite value >= 0")
            }
            guard candidate.score <= InputLimits.score else {
                throw fail("score \(candidate.score) for \(candidate.format) exceeds \(InputLimits.score)")
            }
            guard candidate.bits.storage > 0, candidate.bits.autoround > 0 else {
                throw fail("bits (storage \(candidate.bits.storage), autoround \(candidate.bits.autoround)) for \(candidate.format) are not positive")
            }
            let most = layer.parameters * InputLimits.bitsPerParameter
            guard candidate.bits.storage <= most, candidate.bits.autoround <= most else {
                throw fail("bits (storage \(candidate.bits.storage), autoround \(candidate.bits.autoround)) for \(candidate.format) exceed \(InputLimits.bitsPerParameter) "
                           + "per parameter (\(most))")
            }
        }
    }

    /// A fixed tensor's parameters in 0...2^40 and bits in 0...64 x parameters.
    private static func checkCount(_ parameters: Int, bits: Int, file: String, place: String) throws {
        guard (0...InputLimits.tensorElements).contains(parameters) else {
            throw ProfileError.invalid(file: file, layer: place,
                                       problem: "parameters \(parameters) is not in 0...\(InputLimits.tensorElements)")
        }
        let most = parameters * InputLimits.bitsPerParameter
        guard (0...most).contains(bits) else {
            throw ProfileError.invalid(file: file, layer: place, problem: "bits \(bits) is not in 0...\(most) "
                                       + "(\(InputLimits.bitsPerParameter) per parameter)")
        }
    }

    /// `total + parameters`, refused past the model limit.
    private func addParameters(_ total: Int, _ parameters: Int, file: String, place: String) throws -> Int {
        guard let sum = InputLimits.sum(total, parameters, atMost: InputLimits.modelParameters) else {
            throw ProfileError.invalid(file: file, layer: place, problem: "the model's parameters exceed "
                                       + "\(InputLimits.modelParameters) with this tensor")
        }
        return sum
    }
}
