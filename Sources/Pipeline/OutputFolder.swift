import Foundation

/// An output folder written all at once: work goes into a temporary sibling
/// (`.NAME.tmp-PID`), which replaces the folder only when everything has succeeded.
struct OutputFolder {
    let path: String
    let overwrite: Bool

    private var fm: FileManager { .default }

    /// Refuses a non-empty folder without `overwrite`, and a path that is a file.
    func checkWritable() throws {
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw PipelineError.unwritable(path: path, reason: "it is a file, not a folder") }
        let contents = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        if !contents.isEmpty && !overwrite { throw PipelineError.outputNotEmpty(path: path) }
    }

    /// A fresh, empty staging folder beside the output.
    func makeStaging() throws -> URL {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let staging = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.unwritable(path: staging.path, reason: error.localizedDescription)
        }
        return staging
    }

    /// Moves the staging folder into place (replacing an existing output when allowed).
    func commit(_ staging: URL) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        do {
            if fm.fileExists(atPath: url.path) {
                try checkWritable()
                let old = staging.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).old-\(ProcessInfo.processInfo.processIdentifier)")
                try fm.moveItem(at: url, to: old)
                try fm.moveItem(at: staging, to: url)
                try? fm.removeItem(at: old)
            } else {
                try fm.moveItem(at: staging, to: url)
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError.unwritable(path: path, reason: error.localizedDescription)
        }
    }

    /// Removes the staging folder after a failure.
    func discard(_ staging: URL) { try? fm.removeItem(at: staging) }
}
