import CGLPK

/// Solves a multiple-choice knapsack to proven optimality with GLPK's branch-and-cut (`glp_intopt`,
/// presolve on, relative gap 0): one binary column per choice, one `= 1` row per group, one `<=`
/// budget row. Every index is checked before it reaches GLPK (misuse aborts the process).
enum GLPKSolver {
    struct Result {
        /// Choice per group (index into the group's choices), or nil when GLPK found no solution.
        var choice: [Int]?
        /// Whether GLPK proved the solution optimal.
        var provenOptimal: Bool
    }

    /// - Parameters:
    ///   - bits: bits of each choice, measured from an offset (any constant per group is fine).
    ///   - scores: score of each choice.
    ///   - capacity: budget for the same offset bits.
    ///   - timeLimit: GLPK's soft time limit in milliseconds (nil = none).
    static func solve(bits: [[Int]], scores: [[Double]], capacity: Int, timeLimit: Int32? = nil) throws -> Result {
        let columns = bits.reduce(0) { $0 + $1.count }
        let rows = bits.count + 1
        guard columns > 0, columns < Int(Int32.max) / 2, rows < Int(Int32.max) / 2 else {
            throw SearchError.solverFailed(reason: "problem size \(rows) rows x \(columns) columns out of range")
        }
        glp_term_out(GLP_OFF)
        guard let problem = glp_create_prob() else { throw SearchError.solverFailed(reason: "glp_create_prob failed") }
        defer { glp_delete_prob(problem) }
        glp_set_obj_dir(problem, GLP_MIN)
        glp_add_rows(problem, Int32(rows))
        glp_add_cols(problem, Int32(columns))
        for g in 0..<bits.count { glp_set_row_bnds(problem, Int32(g + 1), GLP_FX, 1, 1) }
        glp_set_row_bnds(problem, Int32(rows), GLP_UP, 0, Double(capacity))

        var rowIndex: [Int32] = [0], columnIndex: [Int32] = [0], values: [Double] = [0]
        rowIndex.reserveCapacity(2 * columns + 1)
        columnIndex.reserveCapacity(2 * columns + 1)
        values.reserveCapacity(2 * columns + 1)
        var column = 0
        for g in bits.indices {
            for j in bits[g].indices {
                column += 1
                glp_set_col_kind(problem, Int32(column), GLP_BV)
                glp_set_obj_coef(problem, Int32(column), scores[g][j])
                rowIndex.append(Int32(g + 1)); columnIndex.append(Int32(column)); values.append(1)
                if bits[g][j] != 0 {
                    rowIndex.append(Int32(rows)); columnIndex.append(Int32(column)); values.append(Double(bits[g][j]))
                }
            }
        }
        let nonZeros = rowIndex.count - 1
        precondition(rowIndex.dropFirst().allSatisfy { (1...Int32(rows)).contains($0) }
                     && columnIndex.dropFirst().allSatisfy { (1...Int32(columns)).contains($0) },
                     "GLPK matrix index out of range")
        rowIndex.withUnsafeMutableBufferPointer { ia in
            columnIndex.withUnsafeMutableBufferPointer { ja in
                values.withUnsafeMutableBufferPointer { ar in
                    glp_load_matrix(problem, Int32(nonZeros), ia.baseAddress, ja.baseAddress, ar.baseAddress)
                }
            }
        }
        var parameters = glp_iocp()
        glp_init_iocp(&parameters)
        parameters.presolve = GLP_ON
        parameters.msg_lev = GLP_MSG_OFF
        parameters.mip_gap = 0
        if let timeLimit { parameters.tm_lim = timeLimit }
        let code = glp_intopt(problem, &parameters)
        let status = glp_mip_status(problem)
        guard status == GLP_OPT || status == GLP_FEAS else {
            if code == 0 || code == GLP_ENOPFS || status == GLP_NOFEAS { return Result(choice: nil, provenOptimal: true) }
            throw SearchError.solverFailed(reason: "glp_intopt returned \(code), status \(status)")
        }
        var choice = [Int](repeating: 0, count: bits.count)
        column = 0
        for g in bits.indices {
            var picked = 0, best = -1.0
            for j in bits[g].indices {
                column += 1
                let value = glp_mip_col_val(problem, Int32(column))
                if value > best { best = value; picked = j }
            }
            choice[g] = picked
        }
        return Result(choice: choice, provenOptimal: code == 0 && status == GLP_OPT)
    }
}
