import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file writes that a reader never sees half done.
public enum AtomicFile {
    /// The hidden temporary sibling of `url` that writes go through: `.NAME.tmp-PID`.
    public static func temporarySibling(of url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    }

    /// Writes `data` to a temporary file in the destination's folder (`.NAME.tmp-PID`), then renames
    /// it over `url` with rename(2), which replaces an existing file in one step. Stale temporaries
    /// of dead processes beside `url` are removed first (`StagingCleanup`). Missing parent folders
    /// are created, as a staged folder's are (`StagedFolder`).
    /// - Throws: `OutputPathError.notReplaceable` when `url` is a symbolic link, a folder, a device,
    ///   a FIFO or a socket (never replaced); the underlying error otherwise.
    public static func write(_ data: Data, to url: URL) throws {
        try intoPlace(url, fill: { try data.write(to: $0) }) {
            CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: $0])
        }
    }

    /// Streams a file into place: `fill` writes the bytes in order into a temporary sibling
    /// (`.NAME.tmp-PID`), which is renamed over `url` only when `fill` returns and the file is
    /// closed. The same rules as `write(_:to:)`: `url` must be a regular file or a new path, stale
    /// temporaries are removed, missing parent folders are created. After any error (thrown by
    /// `fill` or by the file system) the temporary is removed and `url` is as it was.
    /// - Throws: `OutputPathError.notReplaceable`, `FileOutputError`, or what `fill` throws.
    public static func stream(to url: URL, _ fill: (FileOutput) throws -> Void) throws {
        try intoPlace(url, fill: { temporary in
            let output = try FileOutput(creating: temporary.path)
            do { try fill(output) } catch {
                output.abandon()
                throw error
            }
            try output.close()
        }) { FileOutputError(path: url.path, reason: $0) }
    }

    /// The rules both writers share: `url` must be a regular file or a new path, stale temporaries
    /// beside it are removed, parent folders are created, `fill` writes the registered temporary
    /// sibling, which is then renamed over `url` (a failed rename is `renameFailure` of the system's
    /// reason); after any error the temporary is removed and `url` is as it was.
    private static func intoPlace(_ url: URL, fill: (URL) throws -> Void, renameFailure: (String) -> Error) throws {
        if let kind = OutputPath.existingKind(url.path), kind != "a regular file" {
            throw OutputPathError.notReplaceable(path: url.path, kind: kind, expected: "a regular file or a new path")
        }
        StagingCleanup.removeStale(beside: url)
        let temporary = temporarySibling(of: url)
        StagingCleanup.register(temporary)
        defer { StagingCleanup.unregister(temporary) }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fill(temporary)
            guard rename(temporary.path, url.path) == 0 else { throw renameFailure(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// `write(_:to:)` reporting a failure as the caller's typed error: `failure` receives the reason.
    public static func write<E: Error>(_ data: Data, to url: URL, failure: (_ reason: String) -> E) throws {
        do { try write(data, to: url) } catch { throw failure(error.localizedDescription) }
    }

    /// `value` encoded by `JSONPolicy` in `style`, written atomically to `url`.
    public static func writeJSON<T: Encodable>(_ value: T, style: JSONPolicy.Style = .pretty, to url: URL) throws {
        try write(try JSONPolicy.encode(value, style: style), to: url)
    }
}
