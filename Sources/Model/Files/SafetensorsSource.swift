import Foundation
import IO

/// The tensors of a Hugging Face checkpoint: one `model.safetensors` or the shards listed in
/// `model.safetensors.index.json`, decoded lazily to Float32.
public struct SafetensorsSource: TensorSource {
    /// Opened shard files, in index order.
    public let files: [SafetensorsFile]
    /// Every tensor in shard order, then offset order.
    public let tensorInfos: [TensorInfo]
    private let location: [String: Int]

    /// Opens a single safetensors file.
    public init(file path: String) throws {
        try self.init(files: [SafetensorsFile(path: path)])
    }

    /// Opens the shards named by an index file (`{"weight_map": {tensor: shard}}`), checking that every
    /// mapped tensor is in its shard.
    public init(index path: String) throws {
        let data = try InputFile.read(URL(fileURLWithPath: path)) { ModelFileError.cannotOpen(path: path, reason: $0) }
        let folder = (path as NSString).deletingLastPathComponent
        try self.init(index: data, path: path) { try SafetensorsFile(path: (folder as NSString).appendingPathComponent($0)) }
    }

    /// The shards named by the index JSON `data` (read from `path`, for messages), each opened by
    /// `shard` from its file name, checking that every mapped tensor is in its shard.
    public init(index data: Data, path: String, shard: (String) throws -> SafetensorsFile) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let weightMap = object["weight_map"] as? [String: String] else {
            throw ModelFileError.badHeader(path: path, reason: "expected a JSON object with weight_map (tensor name to shard file)")
        }
        let shardNames = Array(Set(weightMap.values)).sorted()
        let files = try shardNames.map(shard)
        for (tensor, shard) in weightMap {
            let i = shardNames.firstIndex(of: shard)!
            guard files[i].info(tensor) != nil else { throw ModelFileError.tensorNotFound(path: files[i].path, tensor: tensor) }
        }
        try self.init(files: files)
    }

    public init(files: [SafetensorsFile]) throws {
        self.files = files
        var infos = [TensorInfo](), loc = [String: Int]()
        for (i, f) in files.enumerated() {
            for t in f.tensors {
                guard loc[t.name] == nil else {
                    throw ModelFileError.badHeader(path: f.path, reason: "tensor '\(t.name)' appears in two shards")
                }
                loc[t.name] = i
                infos.append(TensorInfo(name: t.name, shape: t.shape, storage: t.dtype))
            }
        }
        tensorInfos = infos
        location = loc
    }

    /// The shard holding `name`, or nil.
    public func file(for name: String) -> SafetensorsFile? { location[name].map { files[$0] } }

    /// The stored bytes of `name` (any dtype), valid while this source is alive.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let f = file(for: name) else { throw ModelFileError.tensorNotFound(path: files.first?.path ?? "", tensor: name) }
        return try f.rawBytes(name)
    }

    public func floats(_ name: String) throws -> [Float] {
        guard let f = file(for: name) else { throw ModelFileError.tensorNotFound(path: files.first?.path ?? "", tensor: name) }
        return try f.floats(name)
    }
}
