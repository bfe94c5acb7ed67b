import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write, systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write, systemClose = Darwin.close
#endif

/// Why streaming bytes into a file failed.
public struct FileOutputError: LocalizedError, Equatable {
    /// The file being written.
    public let path: String
    /// What failed, e.g. `No space left on device`.
    public let reason: String

    public var errorDescription: String? { "Cannot write '\(path)': \(reason)." }
}

/// A file opened for writing from its start, written through write(2) as bytes arrive, so a large
/// output (a model file) is never assembled in memory. Counts the bytes written. Used through
/// `AtomicFile.stream(to:_:)`, which owns opening, closing and the final rename.
public final class FileOutput {
    /// The path written (the temporary sibling while streaming), named in errors.
    public let path: String
    /// Bytes written so far: the offset of the next byte.
    public private(set) var bytesWritten = 0
    private let descriptor: Int32

    /// Creates or truncates `path` (mode 0666 less the umask, as `Data.write` does).
    init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw FileOutputError(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Writes `bytes` at the current end (partial writes and EINTR are retried).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = systemWrite(descriptor, next, min(remaining, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileOutputError(path: path, reason: String(cString: strerror(errno)))
            }
            next += n
            remaining -= n
            bytesWritten += n
        }
    }

    /// Writes `bytes` at the current end.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `count` zero bytes (padding).
    public func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try write([UInt8](repeating: 0, count: count))
    }

    /// Closes the descriptor; a failing close(2) (a deferred write error) is an error.
    func close() throws {
        guard systemClose(descriptor) == 0 else { throw FileOutputError(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Closes the descriptor after a failure, ignoring errors.
    func abandon() { _ = systemClose(descriptor) }
}
