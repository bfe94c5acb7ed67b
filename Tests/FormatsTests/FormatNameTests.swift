@testable import Formats
import XCTest

final class FormatNameTests: XCTestCase {
    func testParsesCanonicalNamesAndAliases() throws {
        let cases: [(String, String)] = [
            ("int4", "int4/g128"), ("int4/g64", "int4/g64"), ("INT3A/G32", "int3a/g32"), ("int8a", "int8a/g128"),
            (" int2 ", "int2/g128"), ("W2A16", "int2/g128"), ("w3a16", "int3/g128"), ("W4A16", "int4/g128"),
            ("W8A16", "int8/g128"), ("MXFP4", "mxfp4"), ("nvfp4", "nvfp4"), ("FP8_BLOCK", "fp8"), ("fp8", "fp8"),
            ("BF16", "bf16"),
        ]
        for (text, canonical) in cases {
            XCTAssertEqual(try QuantFormat(parsing: text).name, canonical, text)
        }
        let f = try QuantFormat(parsing: "int3a/g64")
        XCTAssertEqual(f.family, .int)
        XCTAssertEqual(f.bits, 3)
        XCTAssertEqual(f.granularity, .group(64))
        XCTAssertFalse(f.symmetric)
        XCTAssertEqual(QuantFormat.fp8.granularity, .block(rows: 128, cols: 128))
    }

    func testRejectsUnknownNamesListingKnownOnes() {
        for bad in ["int5", "int4/g100", "int4/", "fp16", "W4A8", "int4b", "", "mxfp8"] {
            XCTAssertThrowsError(try QuantFormat(parsing: bad), bad) { error in
                guard case let QuantError.unknownFormat(name, known) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, bad)
                XCTAssertTrue(known.contains("mxfp4") && known.contains("W4A16"))
                XCTAssertTrue(error.localizedDescription.contains("Known formats"), error.localizedDescription)
            }
        }
    }

    func testDefaultCandidatesRoundTripThroughNames() throws {
        XCTAssertEqual(QuantFormat.defaultCandidates.map(\.name),
                       ["int2/g128", "int3/g128", "int4/g128", "int8/g128", "mxfp4", "nvfp4", "fp8", "bf16"])
        for f in QuantFormat.defaultCandidates {
            XCTAssertEqual(try QuantFormat(parsing: f.name), f)
            let data = try JSONEncoder().encode(f)
            XCTAssertEqual(try JSONDecoder().decode(QuantFormat.self, from: data), f)
        }
    }

    func testCodableAsCanonicalNameWithValidation() throws {
        let data = try JSONEncoder().encode([QuantFormat.mxfp4, try QuantFormat(parsing: "int3a/g64")])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["mxfp4","int3a\/g64"]"#)
        XCTAssertThrowsError(try JSONDecoder().decode([QuantFormat].self, from: Data(#"["int5"]"#.utf8))) {
            XCTAssertTrue("\($0)".contains("int5"), "\($0)")
        }
    }

    /// Files are read strictly: only the canonical name decodes; the error names the value and carries
    /// the QuantError (another spelling names the canonical one).
    func testDecodingAcceptsOnlyCanonicalNames() throws {
        XCTAssertEqual(try JSONDecoder().decode([QuantFormat].self, from: Data(#"["int4/g128","fp8"]"#.utf8)), [
            try QuantFormat(parsing: "int4"), .fp8,
        ])
        for (bad, canonical) in [("int4", "int4/g128"), ("W4A16", "int4/g128"), ("FP8", "fp8"), ("int3A/g64", "int3a/g64")] {
            XCTAssertThrowsError(try JSONDecoder().decode([QuantFormat].self, from: Data("[\"\(bad)\"]".utf8)), bad) { error in
                guard case let DecodingError.dataCorrupted(context) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(context.underlyingError as? QuantError, .nonCanonicalName(name: bad, canonical: canonical))
                XCTAssertTrue(context.debugDescription.contains("\"\(bad)\" is not a canonical name"), context.debugDescription)
            }
        }
    }

    /// Formats order by canonical name, exactly as the names sort as strings (the order files had
    /// when they listed names).
    func testOrdersByCanonicalName() throws {
        let formats = QuantFormat.defaultCandidates + [try QuantFormat(parsing: "int3a/g64"), try QuantFormat(parsing: "int4/g32")]
        XCTAssertEqual(formats.sorted().map(\.name), formats.map(\.name).sorted())
        XCTAssertLessThan(QuantFormat.bf16, QuantFormat.fp8)
        let literal: QuantFormat = "int3a/g64"
        XCTAssertEqual(literal, try QuantFormat(parsing: "INT3A/G64"))
    }

    func testTraitsTableCoversEveryFamilyOnceAndDrivesHelp() {
        XCTAssertEqual(FormatTraits.table.map(\.family), FormatFamily.allCases)
        let help = FormatTraits.helpText
        XCTAssertTrue(help.contains("int4/g128: 4.1250 bits/weight"), help)
        XCTAssertTrue(help.contains("mxfp4: 4.2500"), help)
        XCTAssertTrue(help.contains("bf16: 16.0000"), help)
        XCTAssertTrue(help.contains("q4_K: 4.5000 bits/weight"), help)
    }
}
