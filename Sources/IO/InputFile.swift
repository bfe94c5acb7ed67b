import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why an input path was refused before it was opened.
public enum InputFileError: LocalizedError, Equatable {
    /// The path (after following links) is not a regular file: a FIFO, a device, a socket or a folder.
    case notRegular(path: String, kind: String)
    /// The file is larger than the reader accepts for its kind.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The file cannot be read.
    case unreadable(path: String, reason: String)

    /// The problem without the path, for errors that name the file themselves.
    public var reason: String {
        switch self {
        case let .notRegular(_, kind): return "it is \(kind), not a regular file"
        case let .tooLarge(_, bytes, limit): return "it has \(bytes) bytes, more than the \(limit) accepted"
        case let .unreadable(_, reason): return reason
        }
    }

    public var errorDescription: String? {
        switch self {
        case let .notRegular(path, kind):
            return "'\(path)' is \(kind), not a regular file; expected a regular file."
        case let .tooLarge(path, bytes, limit):
            return "'\(path)' has \(bytes) bytes; at most \(limit) are accepted for this kind of file."
        case let .unreadable(path, reason):
            return "Cannot read '\(path)': \(reason)."
        }
    }
}

/// Checks on input paths that must happen before open(2): a FIFO blocks open and read forever, a
/// device may never end, so every file the tool reads is first checked to be a regular file.
public enum InputFile {
    /// Most bytes of a JSON or text input read whole into memory (profiles, plans, configs,
    /// tokenizers, texts): 1 GiB.
    public static let maximumWholeFileBytes = 1 << 30

    /// What `path` is after following links, in words ("a FIFO", "a device", ...); nil for a
    /// regular file or a path that does not exist (the open that follows reports that).
    public static func nonRegularKind(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return kindName(st.st_mode)
    }

    /// The kind of a non-regular file mode in words; nil for a regular file.
    static func kindName(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// Refuses a path that exists and is not a regular file (after following links).
    /// - Throws: `InputFileError.notRegular`.
    public static func requireRegular(_ path: String) throws {
        if let kind = nonRegularKind(path) { throw InputFileError.notRegular(path: path, kind: kind) }
    }

    /// The bytes of a regular file of at most `limit` bytes, read whole.
    /// - Throws: `InputFileError` (not regular, too large, unreadable).
    public static func read(_ url: URL, limit: Int = maximumWholeFileBytes) throws -> Data {
        try readChecked(url, limit: limit)
    }

    /// `read(_:limit:)` reporting a failure as the caller's typed error: `failure` gets the reason
    /// without the path (the caller's error names the file).
    public static func read<E: Error>(_ url: URL, limit: Int = maximumWholeFileBytes,
                                      failure: (_ reason: String) -> E) throws -> Data {
        do { return try readChecked(url, limit: limit) } catch let error as InputFileError {
            throw failure(error.reason)
        }
    }

    private static func readChecked(_ url: URL, limit: Int) throws -> Data {
        var st = stat()
        if stat(url.path, &st) == 0 {
            if let kind = kindName(st.st_mode) { throw InputFileError.notRegular(path: url.path, kind: kind) }
            if Int(st.st_size) > limit { throw InputFileError.tooLarge(path: url.path, bytes: Int(st.st_size), limit: limit) }
        }
        do { return try Data(contentsOf: url) } catch {
            throw InputFileError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }
}
