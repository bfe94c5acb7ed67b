import Foundation
import IO

/// The run's output folder: a `StagedFolder` (work goes into the hidden sibling `.NAME.tmp-PID`,
/// which replaces the folder only when everything has succeeded) with failures as `PipelineError`.
struct OutputFolder {
    let path: String
    let overwrite: Bool

    private var folder: StagedFolder { StagedFolder(URL(fileURLWithPath: path), overwrite: overwrite) }

    /// Refuses a non-empty folder without `overwrite`, and a path that is a file.
    func checkWritable() throws { try mapped { try folder.check() } }

    /// A fresh, empty staging folder beside the output.
    func makeStaging() throws -> URL { try mapped { try folder.begin() } }

    /// Moves the staging folder into place (replacing an existing output when allowed).
    func commit(_ staging: URL) throws { try mapped { try folder.commit() } }

    /// Removes the staging folder after a failure.
    func discard(_ staging: URL) { folder.discard() }

    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StagedFolderError {
            switch error {
            case .notEmpty: throw PipelineError.outputNotEmpty(path: path)
            case .notAFolder: throw PipelineError.unwritable(path: path, reason: "it is a file, not a folder")
            case let .notReplaceable(_, kind): throw PipelineError.unwritable(path: path, reason: "it is \(kind), never replaced")
            case let .unwritable(at, reason): throw PipelineError.unwritable(path: at, reason: reason)
            }
        }
    }
}
