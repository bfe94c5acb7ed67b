import ArgumentParser
import IO

/// Range checks of numeric options made before any work (usage errors, exit 2): every count and
/// length has an upper bound, so no option can make the tool allocate without limit or overflow.
/// The bounds are stated in Guides/Inputs.md.
public enum OptionBounds {
    /// Most bits per parameter a budget can ask for (`--avg-bits`, `--sweep`): 64, the widest format.
    public static let maximumAverageBits = Double(InputLimits.bitsPerParameter)
    /// Longest window of tokens (`--seqlen`, `--ctx`, `--probe-length`): 2^17 = 131,072.
    public static let maximumWindowLength = 1 << 17
    /// Most windows of one kind (`--nsamples`, `--windows`, ...): 2^20.
    public static let maximumWindows = 1 << 20
    /// Most optimizer steps (`--iters`): 10^6.
    public static let maximumIterations = 1_000_000

    /// `--avg-bits`: finite, > 0 and at most 64.
    public static func averageBits(_ value: Double, option: String = "--avg-bits") throws {
        guard value.isFinite, value > 0 else { throw ValidationError("\(option) must be positive, got \(value)") }
        guard value <= maximumAverageBits else {
            throw ValidationError("\(option) must be at most \(Int(maximumAverageBits)) bits per parameter, got \(value)")
        }
    }

    /// A count or length in `range`.
    public static func check(_ value: Int, _ option: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }

    /// Windows x tokens per window at most `InputLimits.tokens` (2^28 tokens).
    public static func tokens(windows: Int, _ windowsOption: String, length: Int, _ lengthOption: String) throws {
        guard InputLimits.product(windows, length, atMost: InputLimits.tokens) != nil else {
            throw ValidationError("\(windowsOption) x \(lengthOption) must be at most \(InputLimits.tokens) tokens, "
                                  + "got \(windows) x \(length)")
        }
    }
}

extension OptionBounds {
    /// Path-valued options and arguments (`-o`, `--calib`, `--plan`, MODEL, ...): an empty value is a
    /// usage error (exit 2) before any file is opened. An empty path would otherwise mean the
    /// current folder to some calls and nothing to others.
    /// - Parameter values: each option's name as the user types it and its value (nil: not given).
    public static func nonEmptyPaths(_ values: KeyValuePairs<String, String?>) throws {
        for (option, value) in values where value?.isEmpty == true {
            throw ValidationError("\(option) is empty; expected a path")
        }
    }

    /// A file output (`-o plan.json`; nil: not given): not empty, and not ending in '/', which names
    /// a folder (the file would otherwise be written under the folder's name without the slash).
    public static func outputFile(_ path: String?, option: String = "-o") throws {
        try nonEmptyPaths([option: path])
        if let path, path.hasSuffix("/") {
            throw ValidationError("\(option) '\(path)' ends in '/', which names a folder; expected a file path")
        }
    }
}
