/// GPT-2's reversible byte-to-character mapping ("bytes_to_unicode").
///
/// Byte-level BPE vocabularies spell every token as a string of printable characters, one per byte:
/// the bytes 0x21-0x7E ('!'..'~'), 0xA1-0xAC ('¡'..'¬') and 0xAE-0xFF ('®'..'ÿ') stand for
/// themselves; the remaining 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map in increasing byte
/// order to U+0100, U+0101, ... So the space 0x20 is 'Ġ' (U+0120) and '\n' 0x0A is 'Ċ' (U+010A).
enum ByteLevel {
    /// Character (as a Unicode scalar value) that spells each byte, indexed by byte.
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `byteToScalar`: scalar value -> byte, for scalars below 0x144 (the largest image).
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in byteToScalar.enumerated() { table[Int(scalar)] = Int16(byte) }
        return table
    }()

    /// The vocabulary spelling of one byte, e.g. "Ġ" for 0x20.
    static func token(forByte byte: UInt8) -> String {
        String(Character(Unicode.Scalar(byteToScalar[Int(byte)])!))
    }

    /// The bytes a byte-level token spells, or nil if some character is outside the mapping
    /// (then the token is not byte-level, e.g. an added token with a literal space).
    /// - Complexity: O(token length).
    static func bytes(ofToken token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < scalarToByte.count, scalarToByte[value] >= 0 else { return nil }
            out.append(UInt8(scalarToByte[value]))
        }
        return out
    }
}
