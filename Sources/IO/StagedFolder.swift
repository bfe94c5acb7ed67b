import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a staged folder could not be written.
public enum StagedFolderError: LocalizedError, Equatable {
    /// The destination holds files and the rule is `.refuseNonEmpty`.
    case notEmpty(path: String)
    /// The destination exists and is a file, not a folder.
    case notAFolder(path: String)
    /// The destination is a symbolic link, a device, a FIFO or a socket: never replaced.
    case notReplaceable(path: String, kind: String)
    /// Creating, renaming or removing `path` failed with `reason`.
    case unwritable(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .notEmpty(path): return "Folder '\(path)' exists and is not empty."
        case let .notAFolder(path): return "'\(path)' exists and is a file, not a folder."
        case let .notReplaceable(path, kind): return "'\(path)' is \(kind); it is never replaced by a folder."
        case let .unwritable(path, reason): return "Cannot write '\(path)': \(reason)."
        }
    }
}

/// A folder written all at once: everything goes into a hidden temporary sibling (`.NAME.tmp-PID`),
/// which one rename(2) moves into place only when the whole folder is complete; after a failure the
/// sibling is removed and the destination is as it was.
///
/// Replace rules: a destination that does not exist or is an empty folder is always taken; a folder
/// with content is refused or replaced as `existing` says; a file is always refused. A replaced
/// folder is first renamed aside (`.NAME.old-PID`), then the staging folder is renamed into place,
/// then the old one is removed, so the destination path never holds a half-written folder.
public struct StagedFolder: Sendable {
    /// What to do with a destination folder that already has content.
    public enum Existing: Sendable {
        /// Refuse it (`StagedFolderError.notEmpty`) and leave it untouched.
        case refuseNonEmpty
        /// Replace it with the new folder once that is complete.
        case replace
    }

    /// Where the folder ends up.
    public let destination: URL
    /// The rule for a destination with content.
    public let existing: Existing

    public init(_ destination: URL, existing: Existing) {
        self.destination = destination.standardizedFileURL
        self.existing = existing
    }

    /// `refuseNonEmpty` unless `overwrite`.
    public init(_ destination: URL, overwrite: Bool) {
        self.init(destination, existing: overwrite ? .replace : .refuseNonEmpty)
    }

    /// The hidden sibling written into: `.NAME.tmp-PID` beside the destination.
    public var staging: URL { AtomicFile.temporarySibling(of: destination) }

    private var fm: FileManager { .default }

    /// Applies the replace rules to the destination as it is now.
    /// - Throws: `.notReplaceable` for a symbolic link, device, FIFO or socket; `.notAFolder` for a
    ///   file; `.notEmpty` for a folder with content under `.refuseNonEmpty`.
    public func check() throws {
        if let kind = OutputPath.existingKind(destination.path), kind != "a folder", kind != "a regular file" {
            throw StagedFolderError.notReplaceable(path: destination.path, kind: kind)
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: destination.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw StagedFolderError.notAFolder(path: destination.path) }
        let contents = (try? fm.contentsOfDirectory(atPath: destination.path)) ?? []
        if !contents.isEmpty && existing == .refuseNonEmpty { throw StagedFolderError.notEmpty(path: destination.path) }
    }

    /// Checks the destination, then creates a fresh, empty staging folder (and missing parents).
    /// - Returns: the staging folder to write into.
    public func begin() throws -> URL {
        StagingCleanup.removeStale(beside: destination)
        try check()
        try? fm.removeItem(at: staging)
        StagingCleanup.register(staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw StagedFolderError.unwritable(path: staging.path, reason: error.localizedDescription)
        }
        return staging
    }

    /// Moves the complete staging folder into place (checking the rules again: the destination may
    /// have changed since `begin`).
    public func commit() throws {
        try check()
        if fm.fileExists(atPath: destination.path) {
            let old = destination.deletingLastPathComponent()
                .appendingPathComponent(".\(destination.lastPathComponent).old-\(getpid())")
            try? fm.removeItem(at: old)
            try Self.move(destination, to: old)
            do { try Self.move(staging, to: destination) } catch {
                try? Self.move(old, to: destination)
                throw error
            }
            try? fm.removeItem(at: old)
        } else {
            try Self.move(staging, to: destination)
        }
        StagingCleanup.unregister(staging)
    }

    /// Removes the staging folder (after a failure).
    public func discard() {
        try? fm.removeItem(at: staging)
        StagingCleanup.unregister(staging)
    }

    /// `begin`, `fill` the staging folder, `commit`; on any error the staging folder is removed and
    /// the error rethrown as it was.
    public func build(_ fill: (URL) throws -> Void) throws {
        let folder = try begin()
        do {
            try fill(folder)
            try commit()
        } catch {
            discard()
            throw error
        }
    }

    private static func move(_ from: URL, to: URL) throws {
        guard rename(from.path, to.path) == 0 else {
            throw StagedFolderError.unwritable(path: to.path, reason: String(cString: strerror(errno)))
        }
    }
}
