import Model

/// What a text is read for: its role in `PipelineError.textTooShort`.
public enum TextRole: String, Sendable {
    case calibration, evaluation
}

/// The one check that a text holds enough tokens for the windows cut from it.
public enum TextLength {
    /// Refuses a window longer than the model's context (`max_position_embeddings`): attention
    /// memory grows with the square of the window, and the model was never trained beyond it.
    /// - Throws: `PipelineError.invalidOption` naming the option and the bound.
    public static func checkWindow(_ length: Int, option: String, config: ModelConfig) throws {
        guard length <= config.maxPositionEmbeddings else {
            throw PipelineError.invalidOption(name: option, value: "\(length)",
                                              expected: "at most \(config.maxPositionEmbeddings) (the model's max_position_embeddings)")
        }
    }

    /// Throws unless `tokens` >= `windows` x `length` (with `windows` nil: at least one window of
    /// `length`; the calibration sampler then draws windows, overlapping if it must).
    /// - Throws: `PipelineError.textTooShort` naming the file, the tokens it has and those needed.
    public static func check(_ tokens: Int, path: String, role: TextRole, windows: Int?, length: Int) throws {
        let (product, overflow) = (windows ?? 1).multipliedReportingOverflow(by: length)
        let needed = overflow ? Int.max : product
        guard tokens < needed else { return }
        let setting = windows.map { PipelineError.windows($0, of: length) } ?? "windows of \(length) tokens"
        throw PipelineError.textTooShort(path: path, role: role.rawValue, tokens: tokens, needed: needed, setting: setting)
    }
}
