/// The key/value pairs of a GGUF file to write, in the order they are written. Keys are unique:
/// setting a key that exists replaces its value where it stands, a new key goes to the end, and
/// setting nil removes the key (the order of a Python dict, which llama.cpp's `gguf-py` writer keeps).
public struct GGUFMetadata: Sendable, Equatable {
    /// One key/value pair.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: GGUFValue

        public init(_ key: String, _ value: GGUFValue) {
            self.key = key
            self.value = value
        }
    }

    /// The pairs in write order.
    public private(set) var entries: [Entry] = []

    /// No pairs.
    public init() {}

    /// `pairs` in order; a key given twice keeps its first position and its last value.
    public init(_ pairs: [(String, GGUFValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// Every pair of `file` in file order (a key the file repeats keeps its first position and the
    /// value the reader kept).
    public init(copying file: GGUFFile) {
        for key in file.metadataKeys where self[key] == nil {
            if let value = file.metadata[key] { entries.append(Entry(key, value)) }
        }
    }

    /// The keys in write order.
    public var keys: [String] { entries.map(\.key) }

    /// Number of pairs.
    public var count: Int { entries.count }

    /// The value of `key`; setting replaces in place, appends a new key, or removes it (nil).
    public subscript(key: String) -> GGUFValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            let index = entries.firstIndex { $0.key == key }
            switch (index, newValue) {
            case let (i?, value?): entries[i].value = value
            case let (i?, nil): entries.remove(at: i)
            case let (nil, value?): entries.append(Entry(key, value))
            case (nil, nil): break
            }
        }
    }

    /// Removes every pair for which `shouldRemove` is true.
    public mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        entries.removeAll(where: shouldRemove)
    }

    /// The data alignment this metadata asks for: `general.alignment` when it holds an integer,
    /// else GGUF's default of 32. (`GGUFWriter` checks that it is a uint32 power of two.)
    public var alignment: Int { self[GGUFKeys.alignment]?.intValue ?? GGUFKeys.defaultAlignment }
}

/// Metadata keys this project writes or rewrites, with the names of llama.cpp
/// (`gguf-py/gguf/constants.py`, `src/llama-arch.cpp`, `tools/quantize/quantize.cpp`).
public enum GGUFKeys {
    /// GGUF's data alignment when `general.alignment` is absent (`GGUF_DEFAULT_ALIGNMENT`).
    public static let defaultAlignment = 32
    public static let alignment = "general.alignment"
    public static let architecture = "general.architecture"
    public static let type = "general.type"
    public static let name = "general.name"
    public static let sizeLabel = "general.size_label"
    public static let fileType = "general.file_type"
    public static let quantizationVersion = "general.quantization_version"
    public static let quantizedBy = "general.quantized_by"
    /// Per-tensor options of the source's quantization (`general.tensor_extra.name`, `.prec_a4`).
    public static let tensorExtraPrefix = "general.tensor_extra."
    /// llama-quantize's imatrix provenance (`LLM_KV_QUANTIZE_IMATRIX_*`): strings for the file and
    /// dataset, uint32 counts (llama-quantize writes its int overrides as uint32).
    public static let imatrixFile = "quantize.imatrix.file"
    public static let imatrixDataset = "quantize.imatrix.dataset"
    public static let imatrixEntriesCount = "quantize.imatrix.entries_count"
    public static let imatrixChunksCount = "quantize.imatrix.chunks_count"
    /// The plan a file was quantized with (this project's key, in the style of `quantize.imatrix.file`).
    public static let planFile = "quantize.plan.file"
    /// Every key of the quantize tools' provenance.
    public static let quantizePrefix = "quantize."
    /// Split-file keys (`LLM_KV_SPLIT_*`); llama-quantize removes them from its output.
    public static let split = ["split.no", "split.count", "split.tensors.count"]
    /// `GGML_QNT_VERSION`: the version of the quantized block layouts.
    public static let ggmlQuantizationVersion: UInt32 = 2
}
