import Foundation
import Model

/// Filesystem steps of exports: files written to a temporary path and renamed, folders built in a
/// temporary sibling and moved into place only when complete.
public enum QuantizedCheckpointFiles {
    /// Writes `data` to a temporary file beside `url`, then renames it over `url`.
    public static func atomicWrite(_ data: Data, to url: URL) throws {
        do { try AtomicFile.write(data, to: url) } catch {
            throw QuantizedCheckpointError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Whether `url` is an existing folder (or file) with content.
    static func isNonEmpty(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        guard isDirectory.boolValue else { return true }
        return !((try? FileManager.default.contentsOfDirectory(atPath: url.path))?.isEmpty ?? true)
    }

    /// Builds a folder: `fill` writes into a fresh temporary sibling of `url`; on success the sibling
    /// replaces `url`, on any error it is removed and `url` is left as it was.
    /// - Throws: `QuantizedCheckpointError.outputNotEmpty` when `url` has content and `overwrite` is
    ///   false (checked before `fill` runs), or whatever `fill` throws.
    public static func buildFolder(at url: URL, overwrite: Bool, _ fill: (URL) throws -> Void) throws {
        if isNonEmpty(url) && !overwrite { throw QuantizedCheckpointError.outputNotEmpty(path: url.path) }
        let parent = url.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            if fm.fileExists(atPath: staging.path) { try fm.removeItem(at: staging) }
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw QuantizedCheckpointError.writeFailed(path: staging.path, reason: error.localizedDescription)
        }
        do {
            try fill(staging)
            if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
            try fm.moveItem(at: staging, to: url)
        } catch {
            try? fm.removeItem(at: staging)
            if error is CocoaError {
                throw QuantizedCheckpointError.writeFailed(path: url.path, reason: error.localizedDescription)
            }
            throw error
        }
    }
}
