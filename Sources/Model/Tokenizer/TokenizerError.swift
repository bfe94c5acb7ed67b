import Foundation

/// Errors raised while building a tokenizer from a vocabulary or decoding token ids.
///
/// Every message names the source (file, metadata key, token or merge) and says what was expected
/// and what was found.
public enum TokenizerError: Error, LocalizedError, Equatable, Sendable {
    /// A pre-tokenizer name (GGUF `tokenizer.ggml.pre`) that this tokenizer does not implement.
    case unknownPreTokenizer(name: String, known: [String])
    /// A `tokenizer.json` pre-tokenizer configuration that matches none of the known ones.
    case unsupportedPreTokenizer(source: String, description: String)
    /// A merge line that is not two tokens separated by one space.
    case malformedMerge(index: Int, merge: String)
    /// A merge whose parts or result are not in the vocabulary.
    case mergeTokenNotInVocabulary(index: Int, merge: String, missing: String)
    /// `tokenizer.ggml.token_type` does not have one entry per token.
    case tokenTypeCountMismatch(expected: Int, actual: Int)
    /// A special token id (bos/eos/added token) outside the vocabulary.
    case tokenIdOutOfRange(role: String, id: Int, vocabularySize: Int)
    /// A token id given to `decode` outside the vocabulary.
    case decodeIdOutOfRange(id: Int, position: Int, vocabularySize: Int)
    /// A `tokenizer.json` normalizer other than none or NFC.
    case unsupportedNormalizer(source: String, type: String)
    /// The same token text appears twice in the vocabulary.
    case duplicateToken(token: String, firstId: Int, secondId: Int)
    /// A `tokenizer.json` (or sibling file) that cannot be read or lacks a required field.
    case invalidTokenizerFile(path: String, reason: String)
    /// A text file that cannot be read or is not UTF-8.
    case unreadableText(path: String, reason: String)
    /// Required tokenizer metadata missing from a model file.
    case missingMetadata(key: String, source: String)
    /// Tokenizer metadata present with the wrong type.
    case metadataTypeMismatch(key: String, expected: String, actual: String)

    public var errorDescription: String? {
        switch self {
        case let .unknownPreTokenizer(name, known):
            return "Unknown pre-tokenizer '\(name)'; expected one of: \(known.joined(separator: ", "))."
        case let .unsupportedPreTokenizer(source, description):
            return "\(source): unsupported pre_tokenizer \(description); expected ByteLevel (gpt2), "
                + "Digits+ByteLevel (smollm), or a Split with the llama-bpe or qwen2 regex."
        case let .malformedMerge(index, merge):
            return "Merge \(index) '\(merge)' is not two tokens separated by a space."
        case let .mergeTokenNotInVocabulary(index, merge, missing):
            return "Merge \(index) '\(merge)': token '\(missing)' is not in the vocabulary."
        case let .tokenTypeCountMismatch(expected, actual):
            return "tokenizer.ggml.token_type has \(actual) entries, expected \(expected) (one per token)."
        case let .tokenIdOutOfRange(role, id, size):
            return "\(role) token id \(id) is outside the vocabulary of \(size) tokens."
        case let .decodeIdOutOfRange(id, position, size):
            return "Token id \(id) at position \(position) is outside the vocabulary of \(size) tokens."
        case let .unsupportedNormalizer(source, type):
            return "\(source): unsupported normalizer '\(type)'; expected none or NFC."
        case let .duplicateToken(token, firstId, secondId):
            return "Token '\(token)' appears twice in the vocabulary (ids \(firstId) and \(secondId))."
        case let .invalidTokenizerFile(path, reason):
            return "\(path): \(reason)."
        case let .unreadableText(path, reason):
            return "\(path): cannot read text (\(reason))."
        case let .missingMetadata(key, source):
            return "\(source): missing tokenizer metadata '\(key)'."
        case let .metadataTypeMismatch(key, expected, actual):
            return "Tokenizer metadata '\(key)' has type \(actual), expected \(expected)."
        }
    }
}
