import Foundation
import TensorCore

/// The tensors of one GGUF model (a single file or all parts of a split file), by Hugging Face name
/// and shape, decoded lazily to Float32.
public struct GGUFTensorSource: TensorSource {
    /// The parsed files (one, or every part of a split model in order).
    public let files: [GGUFFile]
    /// Every tensor with Hugging Face name and shape, in file order.
    public let tensorInfos: [TensorInfo]
    private let entries: [String: (file: Int, info: GGUFTensorInfo)]

    /// Opens `paths` (the parts of one model, in order).
    public init(paths: [String]) throws {
        try self.init(files: paths.map { try GGUFFile(path: $0) })
    }

    public init(files: [GGUFFile]) throws {
        self.files = files
        var infos = [TensorInfo](), map = [String: (file: Int, info: GGUFTensorInfo)]()
        for (i, f) in files.enumerated() {
            for t in f.tensors {
                let hf = GGUFNames.huggingFace(t.name)
                guard map[hf] == nil else {
                    throw ModelFileError.badHeader(path: f.path, reason: "tensor '\(t.name)' appears twice")
                }
                map[hf] = (i, t)
                infos.append(TensorInfo(name: hf, shape: t.shape, storage: t.type.storage))
            }
        }
        tensorInfos = infos
        entries = map
    }

    /// Metadata of the first file (a split model keeps the model's metadata there).
    public var metadata: [String: GGUFValue] { files.first?.metadata ?? [:] }

    /// The GGUF name and layout of a tensor given its Hugging Face name, or nil.
    public func ggufInfo(_ name: String) -> GGUFTensorInfo? { entries[name]?.info }

    /// The GGUF name of a tensor given its Hugging Face name (e.g. for exports), or nil.
    public func ggufName(_ name: String) -> String? { entries[name]?.info.name }

    /// The stored bytes of a tensor (valid while this source is alive).
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let e = entries[name] else { throw ModelFileError.tensorNotFound(path: files.first?.path ?? "", tensor: name) }
        return files[e.file].data(e.info)
    }

    /// Decodes a tensor to Float32, row-major in Hugging Face shape, on all cores.
    /// - Complexity: O(elements); chunks of whole blocks run in parallel.
    public func floats(_ name: String) throws -> [Float] {
        guard let e = entries[name] else { throw ModelFileError.tensorNotFound(path: files.first?.path ?? "", tensor: name) }
        let file = files[e.file], info = e.info
        guard GGUFDequant.canDecode(info.type.storage) else {
            throw ModelFileError.notDecodable(path: file.path, tensor: info.name, storage: info.type.storage.rawValue)
        }
        let src = file.data(info)
        let count = info.elementCount, traits = info.type
        let blocks = count / traits.blockSize
        if count == 0 { return [] }
        let blocksPerChunk = max(1, min(blocks, max(1 << 14 / traits.blockSize, blocks / 16)))
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        return [Float](unsafeUninitializedCapacity: count) { buf, initialized in
            let dst = SharedBuffer(buf), source = SharedBuffer(src.bindMemory(to: UInt8.self))
            assert(src.count >= blocks * traits.bytesPerBlock, "tensor \(name): \(src.count) bytes for \(blocks) blocks")
            parallelFor(chunks) { c in
                let b0 = c * blocksPerChunk, b1 = min(blocks, b0 + blocksPerChunk)
                let bytes = UnsafeRawBufferPointer(start: source + b0 * traits.bytesPerBlock,
                                                   count: (b1 - b0) * traits.bytesPerBlock)
                GGUFDequant.decode(traits.storage, bytes, into: dst + b0 * traits.blockSize,
                                   count: (b1 - b0) * traits.blockSize)
            }
            initialized = count
        }
    }
}
