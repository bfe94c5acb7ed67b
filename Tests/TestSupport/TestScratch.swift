import Foundation

/// One scratch folder per test process, removed when the process exits, so that test runs leave
/// nothing in the temporary directory however many folders the tests make.
public enum TestScratch {
    /// `$TMPDIR/autoscheme-tests-<pid>`, created on first use; its removal is registered with `atexit`.
    public static let root: String = {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("autoscheme-tests-\(getpid())")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestScratch.root) }
        return dir
    }()

    /// A path `name-<uuid>` under `root` that does not exist yet (nothing is created).
    public static func path(_ name: String) -> String {
        (root as NSString).appendingPathComponent("\(name)-\(UUID().uuidString)")
    }
}
