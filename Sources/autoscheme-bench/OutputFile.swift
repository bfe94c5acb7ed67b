import Foundation
import IO
import Pipeline
import Sensitivity

/// Output files of `compare-plans` (`--json`, `--markdown`): checked before any work, written through a temporary file and a rename.
enum OutputFile {
    /// Throws when the folder the file would go into does not exist or is not a folder.
    static func checkParent(of path: String) throws {
        let parent = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PipelineError.unwritable(path: path, reason: "the folder \(parent) does not exist")
        }
    }

    static func write(_ data: Data, to path: String) throws {
        do { try AtomicFile.write(data, to: URL(fileURLWithPath: path)) } catch {
            throw PipelineError.unwritable(path: path, reason: error.localizedDescription)
        }
    }

    /// Pretty, key-sorted JSON.
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try JSONPolicy.encode(value, escapingSlashes: false)
    }
}
