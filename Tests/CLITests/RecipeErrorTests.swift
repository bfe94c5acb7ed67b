import Foundation
import XCTest

/// Recipe errors of `quantize` and `run`: one line each, before any work.
extension ErrorPathTests {
    func testRecipeErrors() throws {
        let base = ["quantize", file("absent.gguf").path, "--plan", "p.json", "-o", "out"]
        try expectFailure(base + ["--recipe", "fast"], mentions: ["'fast'", "'best'", "'default'", "'light'", "'rtn'"])
        try expectFailure(base + ["--iters", "0"], mentions: ["SignRound needs --iters >= 1, got 0"])
        try expectFailure(base + ["--recipe", "rtn", "--method", "signround", "--iters", "0"],
                          mentions: ["SignRound needs --iters >= 1, got 0"])
        try expectFailure(["run", file("absent.gguf").path, "--avg-bits", "3", "--recipe", "fast", "-o", "out"],
                          mentions: ["'fast'"])
        try expectFailure(["run", file("absent.gguf").path, "--avg-bits", "3", "--recipe", "light", "--iters", "0", "-o", "out"],
                          mentions: ["SignRound needs --iters >= 1, got 0"])
        try expectFailure(base + ["--scope", "layer", "--e2e-steps", "10"],
                          mentions: ["--e2e-steps 10 needs block-wise SignRound"])
        try expectFailure(base + ["--recipe", "rtn", "--e2e-steps", "10"], mentions: ["--e2e-steps 10 needs block-wise SignRound"])
        try expectFailure(base + ["--e2e-batch", "0"], mentions: ["--e2e-batch must be in 1..."])
        try expectFailure(base + ["--e2e-lr", "-1"], mentions: ["--e2e-lr must be in (0, 1], got -1.0"])
        try expectFailure(base + ["--e2e-windows", "all"], mentions: ["'all'", "'calibration-first'", "'fresh'", "'generated'"])
        try expectFailure(base + ["--e2e-temperature", "-0.5"], mentions: ["--e2e-temperature must be in 0...10, got -0.5"])
        try expectFailure(base + ["--generated-windows", "-1"], mentions: ["--generated-windows must be in 0..."])
        try expectFailure(base + ["--nsamples", "4", "--generated-windows", "8"],
                          mentions: ["--generated-windows 8 exceeds the 4 calibration windows"])
        // The recipe's windows are 256 long, so a skipped position count of 300 cannot hold.
        try expectFailure(base + ["--skip-positions", "300"], mentions: ["--skip-positions must be in 0..<256"])
        // The text holds a 3000-token window but not 3 x 3000 tokens of distinct windows.
        try expectFailure(try runArguments(["--nsamples", "3", "--seqlen", "3000"]),
                          mentions: ["calibration text", "fewer than the 9000 needed for 3 windows of 3000 tokens"])
    }
}
