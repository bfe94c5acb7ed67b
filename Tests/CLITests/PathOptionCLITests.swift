import Foundation
import XCTest

/// Path-valued options and arguments. An empty path (`-o ''`, `--calib ''`, MODEL `''`, ...) or a file
/// output ending in '/' is a usage error: exit code 2, one `autoscheme:` line naming the option,
/// nothing written, every input byte-identical (Guides/Inputs.md, "Exit codes"). A file output's
/// missing folders are created, as a folder output's are.
extension HostileInputCLITests {
    /// Runs `arguments` and checks the usage-error contract for the empty `option`.
    func expectEmptyPathRefused(_ arguments: [String], option: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try expectFailure(arguments, status: 2, mentions: ["autoscheme: \(option) is empty; expected a path (see 'autoscheme --help')"],
                          file: file, line: line)
    }

    func testEmptyPathsOfProfile() throws {
        try expectEmptyPathRefused(["profile", "absent.gguf", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["profile", "absent.gguf", "--calib", "", "-o", "out"], option: "--calib")
        try expectEmptyPathRefused(["profile", "", "-o", "out"], option: "<model>")
    }

    func testEmptyPathsOfSearch() throws {
        try expectEmptyPathRefused(["search", "profile.json", "--avg-bits", "3", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["search", "profile.json", "--sweep", "2:4:1", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["search", "", "--avg-bits", "3", "-o", "out"], option: "<profile>")
    }

    func testEmptyPathsOfQuantize() throws {
        try expectEmptyPathRefused(["quantize", "absent.gguf", "--plan", "plan.json", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["quantize", "absent.gguf", "--plan", "", "-o", "out"], option: "--plan")
        try expectEmptyPathRefused(["quantize", "absent.gguf", "--plan", "plan.json", "--calib", "", "-o", "out"], option: "--calib")
        try expectEmptyPathRefused(["quantize", "absent.gguf", "--plan", "plan.json", "--eval", "", "-o", "out"], option: "--eval")
        try expectEmptyPathRefused(["quantize", "", "--plan", "plan.json", "-o", "out"], option: "<model>")
    }

    func testEmptyPathsOfRun() throws {
        try expectEmptyPathRefused(["run", "absent.gguf", "--avg-bits", "3", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["run", "absent.gguf", "--avg-bits", "3", "--calib", "", "-o", "out"], option: "--calib")
        try expectEmptyPathRefused(["run", "absent.gguf", "--avg-bits", "3", "--eval", "", "-o", "out"], option: "--eval")
    }

    func testEmptyPathsOfReport() throws {
        try expectEmptyPathRefused(["report", "profile.json", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["report", "profile.json", "--plan", "", "-o", "out"], option: "--plan")
        try expectEmptyPathRefused(["report", "profile.json", "--plan", "mine=", "-o", "out"], option: "--plan")
        try expectEmptyPathRefused(["report", "profile.json", "--sweep", "", "-o", "out"], option: "--sweep")
        try expectEmptyPathRefused(["report", "profile.json", "--eval", "", "-o", "out"], option: "--eval")
        try expectEmptyPathRefused(["report", "", "-o", "out"], option: "<profile>")
    }

    func testEmptyPathsOfExportPlan() throws {
        try expectEmptyPathRefused(["export-plan", "plan.json", "--to", "json", "-o", ""], option: "-o")
        try expectEmptyPathRefused(["export-plan", "plan.json", "--to", "json", "--model", "", "-o", "out"], option: "--model")
        try expectEmptyPathRefused(["export-plan", "", "--to", "json", "-o", "out"], option: "<plan>")
    }

    func testFileOutputsNamingFoldersOrInMissingFolders() throws {
        for arguments in [["search", "profile.json", "--avg-bits", "3"], ["profile", "absent.gguf"], ["export-plan", "plan.json", "--to", "json"]] {
            try expectFailure(arguments + ["-o", "out/"], status: 2,
                              mentions: ["autoscheme: -o 'out/' ends in '/', which names a folder; expected a file path (see 'autoscheme --help')"])
        }
        let r = try CLI.run(["search", "profile.json", "--avg-bits", "3", "-o", "new/plans/plan.json"], in: folder)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: file("new/plans").path), ["plan.json"])
    }

    func testEmptyPathsOfEvalAndInspect() throws {
        try expectEmptyPathRefused(["eval", "absent.gguf", "--text", ""], option: "--text")
        try expectEmptyPathRefused(["eval", "absent.gguf", "--text", "t.txt", "--against", ""], option: "--against")
        try expectEmptyPathRefused(["eval", "", "--text", "t.txt"], option: "<model>")
        try expectEmptyPathRefused(["inspect", ""], option: "<model>")
    }
}
