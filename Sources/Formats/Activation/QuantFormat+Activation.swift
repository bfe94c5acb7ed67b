import TensorCore

/// Activation-quantized formats (W4A4, W8A8): a weight format paired with the activation scheme its
/// runtimes use with it.
extension QuantFormat {
    /// What separates a weight format's name from its activation bits: `nvfp4-a4`.
    static let activationSuffix = "-a"

    /// The weight families that have an activation-quantized form, with its scheme (AutoRound's
    /// `MXFP4`, `NVFP4` and `FP8_BLOCK` schemes).
    public static let activationPairs: [(family: FormatFamily, scheme: ActivationScheme)] = [
        (.mxfp4, .mxfp4), (.nvfp4, .nvfp4), (.fp8, .fp8),
    ]

    /// W4A4 MXFP4: MXFP4 weights, MXFP4 activations (per 32 inputs, dynamic).
    public static let mxfp4A4 = QuantFormat.mxfp4.withActivation(.mxfp4)
    /// W4A4 NVFP4: NVFP4 weights, NVFP4 activations (per 16 inputs, static global scale).
    public static let nvfp4A4 = QuantFormat.nvfp4.withActivation(.nvfp4)
    /// W8A8 FP8: 128 x 128-block FP8 weights, FP8 activations (per token and 128 inputs, dynamic).
    public static let fp8A8 = QuantFormat.fp8.withActivation(.fp8)

    /// The formats with quantized activations, in `activationPairs` order.
    public static let activationFormats: [QuantFormat] = [.mxfp4A4, .nvfp4A4, .fp8A8]

    private func withActivation(_ scheme: ActivationScheme) -> QuantFormat {
        QuantFormat(family: family, bits: bits, granularity: granularity, symmetric: symmetric, activation: scheme)
    }

    /// These weights with `scheme`'s activations, nil when the pair does not exist (`activationPairs`).
    public func with(activation scheme: ActivationScheme) -> QuantFormat? {
        Self.activationPairs.contains { $0.family == family && $0.scheme == scheme } ? weightOnly.withActivation(scheme) : nil
    }

    /// The activation-quantized form of this weight format with `bits`-bit activations.
    /// - Throws: `QuantError.incompatibleActivation` naming `name` when the family has no such form.
    public func withActivations(bits: Int, name: String? = nil) throws -> QuantFormat {
        let shown = name ?? "\(self.name)\(Self.activationSuffix)\(bits)"
        guard activation == nil, let pair = Self.activationPairs.first(where: { $0.family == family }) else {
            throw QuantError.incompatibleActivation(
                name: shown, reason: "\(self.name) weights have no activation-quantized form")
        }
        guard pair.scheme.elementBits == bits else {
            throw QuantError.incompatibleActivation(
                name: shown, reason: "\(self.name) weights pair with \(pair.scheme.elementBits)-bit \(pair.scheme.rawValue) activations, not \(bits)-bit")
        }
        return withActivation(pair.scheme)
    }

    /// The same weights without activation quantization (W4A16 for `nvfp4-a4`).
    public var weightOnly: QuantFormat {
        QuantFormat(family: family, bits: bits, granularity: granularity, symmetric: symmetric)
    }

    /// Whether a layer with `inputs` input features can take this format's activation quantizer:
    /// true for weight-only formats, else `inputs` is a multiple of the scheme's group.
    public func acceptsInputs(_ inputs: Int) -> Bool {
        guard let a = activation else { return true }
        return inputs > 0 && inputs % a.groupSize == 0
    }
}

extension ActivationQuantizer: InputQuantizer {
    /// The scheme, and NVFP4's global scale as its bit pattern (equal quantizers, equal identities).
    public var identity: String {
        scheme.rawValue + (inputGlobalScale.map { " gs=\(String($0.bitPattern, radix: 16))" } ?? "")
    }

    /// `fakeQuantize(_:rows:cols:name:)` for the model's forward pass.
    /// - Precondition: `cols` is a multiple of the scheme's group (plans are checked before any
    ///   forward pass: `QuantFormat.acceptsInputs`).
    public func fakeQuantize(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        do {
            try fakeQuantize(UnsafeMutableBufferPointer(start: x, count: rows * cols), rows: rows, cols: cols, name: "activations")
        } catch {
            preconditionFailure("\(error.localizedDescription)")
        }
    }
}

extension QuantFormat {
    /// The input quantizer of a layer in this format: nil for weight-only formats; for `nvfp4-a4`
    /// the global scale calibrated from `calibrationAmax`, the absolute maximum of the layer's inputs
    /// over the calibration text (`ActivationQuantizer.nvfp4InputGlobalScale`; shared by the layers
    /// of one input, as auto-round's fused-layer global scale).
    /// - Throws: `QuantError.nonFiniteActivation` naming `layer` when an `nvfp4-a4` layer's
    ///   calibration maximum is NaN or infinite.
    public func inputQuantizer(calibrationAmax: Float, layer: String) throws -> ActivationQuantizer? {
        if activation == .nvfp4 && !calibrationAmax.isFinite {
            throw QuantError.nonFiniteActivation(layer: layer, value: calibrationAmax)
        }
        switch activation {
        case nil: return nil
        case .nvfp4?: return .nvfp4(inputGlobalScale: ActivationQuantizer.nvfp4InputGlobalScale(calibrationAmax: calibrationAmax))
        case let scheme?: return ActivationQuantizer(scheme: scheme)
        }
    }
}
