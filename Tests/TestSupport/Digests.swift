import Sensitivity

/// sha256 of `bytes` as 64 lower-case hex digits (the project's own SHA-256; byte by byte, so for
/// small test data), e.g. to compare with Python's `hashlib.sha256(...).hexdigest()`.
public func sha256Hex(_ bytes: [UInt8]) -> String { SHA256Digest.hex(bytes) }
