import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What is left of interrupted writes: the hidden siblings `.NAME.tmp-PID` (a file or folder being
/// written) and `.NAME.old-PID` (a folder moved aside while its replacement is renamed in).
///
/// - Stale siblings of processes that no longer run are cleaned up by the next write to the same
///   path (`removeStale(beside:)`): a `.tmp-PID` is removed; an `.old-PID` is renamed back into
///   place when the destination is missing (the process died between its two renames), removed
///   otherwise.
/// - An interrupted process removes its own (`installInterruptHandler()`): SIGINT, SIGTERM and
///   SIGHUP remove every staging path still registered, then end the process with 128 + signal.
///   A SIGKILL cannot be caught: what it leaves is stale and cleaned by the next run.
public enum StagingCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var active: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Registers a staging path to remove if the process is interrupted.
    public static func register(_ url: URL) {
        lock.lock(); defer { lock.unlock() }
        active.insert(url.path)
    }

    /// Forgets a staging path (it was renamed into place or removed).
    public static func unregister(_ url: URL) {
        lock.lock(); defer { lock.unlock() }
        active.remove(url.path)
    }

    /// Installs the interrupt handler (once; later calls do nothing). The signals are handled on a
    /// dispatch queue, not in a signal handler, so removing files there is safe. The one line printed
    /// is `TOOL: interrupted by signal N; partial outputs removed`.
    public static func installInterruptHandler(tool: String) {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                removeRegistered()
                FileHandle.standardError.write(Data("\n\(tool): interrupted by signal \(number); partial outputs removed\n".utf8))
                exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Removes every registered staging path (on an interrupt).
    static func removeRegistered() {
        lock.lock()
        let paths = Array(active)
        active.removeAll()
        lock.unlock()
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Cleans the stale siblings of `destination` left by processes that no longer run (see the type).
    public static func removeStale(beside destination: URL) {
        let folder = destination.deletingLastPathComponent()
        let name = destination.lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for entry in entries {
            guard let (kind, pid) = parse(entry, name: name), pid != getpid(), !isRunning(pid) else { continue }
            let url = folder.appendingPathComponent(entry)
            if kind == "old", !FileManager.default.fileExists(atPath: destination.path) {
                _ = rename(url.path, destination.path)
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }
    }

    /// ("tmp" or "old", PID) of a sibling named `.NAME.tmp-PID` / `.NAME.old-PID`; nil for anything else.
    static func parse(_ entry: String, name: String) -> (String, Int32)? {
        for kind in ["tmp", "old"] {
            let prefix = ".\(name).\(kind)-"
            if entry.hasPrefix(prefix), let pid = Int32(entry.dropFirst(prefix.count)), pid > 0 { return (kind, pid) }
        }
        return nil
    }

    /// Whether a process with this id exists (kill with signal 0; EPERM means it exists).
    static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
