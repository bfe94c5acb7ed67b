import Foundation

/// Whole-file writes that a reader never sees half done.
public enum AtomicFile {
    /// Writes `data` to a temporary file in the destination's folder (`.NAME.tmp-PID`), then renames
    /// it over `url` with rename(2), which replaces an existing file in one step.
    /// - Throws: the underlying error; the temporary file is removed on failure.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
