import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why an output path was refused before any work started.
public enum OutputPathError: LocalizedError, Equatable {
    /// `-o ''`: an empty path would mean the current folder.
    case empty(option: String)
    /// The path exists and is a symbolic link, a device, a FIFO or a socket (or a folder where a
    /// file is written, a file where a folder is): it is never replaced.
    case notReplaceable(path: String, kind: String, expected: String)
    /// The path, after following links, is one of the command's inputs.
    case isInput(path: String, input: String)
    /// The output folder, after following links, holds one of the command's inputs.
    case holdsInput(path: String, input: String)

    public var errorDescription: String? {
        switch self {
        case let .empty(option): return "\(option) is empty; expected a path."
        case let .notReplaceable(path, kind, expected):
            return "Output '\(path)': it is \(kind), expected \(expected); it is left as it is."
        case let .isInput(path, input):
            return input == path
                ? "Output '\(path)' is also an input of this command; choose another path."
                : "Output '\(path)' is the input '\(input)' (links followed); choose another path."
        case let .holdsInput(path, input):
            return "Output folder '\(path)' holds the input '\(input)' and would replace it; choose another path."
        }
    }
}

/// Checks on output paths made before a command reads anything: an output must never replace one
/// of the command's inputs, nor anything that is not a plain file (or folder) of the tool's own.
public enum OutputPath {
    /// What an output is.
    public enum Kind: Sendable {
        /// One file, replaced by rename(2).
        case file
        /// A folder, written as a staged sibling and renamed into place.
        case folder
    }

    /// Refuses `path` as an output of kind `kind` when it is empty, when it exists as something the
    /// tool must not replace (a symbolic link, a device, a FIFO, a socket; a folder for a file, a
    /// file for a folder), or when it resolves (links followed) to one of `inputs` or, for a folder,
    /// to a folder that holds one of them.
    /// - Parameters:
    ///   - option: the option's name for messages (e.g. `-o`).
    ///   - inputs: the command's input paths (files or folders); absent ones are ignored.
    /// - Throws: `OutputPathError`.
    public static func check(_ path: String, kind: Kind, option: String = "-o", inputs: [String]) throws {
        guard !path.isEmpty else { throw OutputPathError.empty(option: option) }
        if let found = existingKind(path) {
            let expected = kind == .file ? "a regular file or a new path" : "a folder or a new path"
            switch (found, kind) {
            case ("a regular file", .file), ("a folder", .folder): break
            case ("a regular file", .folder): throw OutputPathError.notReplaceable(path: path, kind: "a file", expected: expected)
            default: throw OutputPathError.notReplaceable(path: path, kind: found, expected: expected)
            }
        }
        let target = resolved(path)
        for input in inputs where !input.isEmpty {
            guard FileManager.default.fileExists(atPath: input) else { continue }
            let source = resolved(input)
            if source == target { throw OutputPathError.isInput(path: path, input: input) }
            if kind == .folder, source.hasPrefix(target == "/" ? "/" : target + "/") {
                throw OutputPathError.holdsInput(path: path, input: input)
            }
        }
    }

    /// What exists at `path` itself (links not followed), in words; nil when nothing does.
    static func existingKind(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFLNK: return "a symbolic link"
        default: return InputFile.kindName(st.st_mode) ?? "a special file"
        }
    }

    /// The absolute path with every link followed; for a path that does not exist yet, its deepest
    /// existing ancestor resolved and the rest appended.
    public static func resolved(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var head = (absolute as NSString).standardizingPath, tail: [String] = []
        while true {
            if let real = realpath(head, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return tail.isEmpty ? base : (base == "/" ? "" : base) + "/" + tail.reversed().joined(separator: "/")
            }
            let parent = (head as NSString).deletingLastPathComponent
            if parent == head || parent.isEmpty { return absolute }
            tail.append((head as NSString).lastPathComponent)
            head = parent
        }
    }
}
