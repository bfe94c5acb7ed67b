import Foundation
import IO
import Model

/// Export's face of the `StagedFolder` rules: the same checks and folder builds, with failures as
/// `QuantizedCheckpointError` naming the caller's path.
public enum QuantizedCheckpointFiles {
    /// Applies the replace rules to `url` as it is now (nothing is written).
    /// - Throws: `QuantizedCheckpointError.outputNotEmpty` when `url` has content and `overwrite`
    ///   is false; `.writeFailed` when `url` is a file.
    public static func check(_ url: URL, overwrite: Bool) throws {
        do { try StagedFolder(url, overwrite: overwrite).check() } catch let error as StagedFolderError {
            throw exportError(error, url)
        }
    }

    /// Builds a folder: `fill` writes into a fresh hidden sibling of `url`; on success the sibling
    /// replaces `url` (see `StagedFolder`), on any error it is removed and `url` is left as it was.
    /// - Throws: `QuantizedCheckpointError.outputNotEmpty` when `url` has content and `overwrite` is
    ///   false (checked before `fill` runs), `.writeFailed` for file-system failures, or whatever
    ///   `fill` throws.
    public static func buildFolder(at url: URL, overwrite: Bool, _ fill: (URL) throws -> Void) throws {
        do {
            try StagedFolder(url, overwrite: overwrite).build(fill)
        } catch let error as StagedFolderError {
            throw exportError(error, url)
        } catch let error as CocoaError {
            throw QuantizedCheckpointError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    static func exportError(_ error: StagedFolderError, _ url: URL) -> QuantizedCheckpointError {
        switch error {
        case .notEmpty: return .outputNotEmpty(path: url.path)
        case .notAFolder: return .writeFailed(path: url.path, reason: "exists and is a file, not a folder")
        case let .notReplaceable(_, kind): return .writeFailed(path: url.path, reason: "it is \(kind), never replaced")
        case let .unwritable(path, reason): return .writeFailed(path: path, reason: reason)
        }
    }
}
