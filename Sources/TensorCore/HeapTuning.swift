#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for a tool whose working set is a few large Float32 buffers.
///
/// Applied where the library starts, not by the tool alone: `applyOnce()` runs from the entry
/// points that lead to large buffers (opening a model file, building a forward-pass architecture),
/// so the tests and the shipped tool run under the same allocator setup.
public enum HeapTuning {
    /// Runs `reuseLargeAllocations()` once per process (Swift initializes a static `let` exactly
    /// once, thread-safely); later calls cost one load.
    public static func applyOnce() { _ = applied }

    private static let applied: Void = reuseLargeAllocations()

    /// Serves every allocation from the heap and never trims it, so a freed activation or logits buffer
    /// (tens to hundreds of MB) is reused by the next one instead of being unmapped and mapped afresh.
    /// glibc maps blocks above its mmap threshold (at most 32 MB) directly, and the kernel zero-fills
    /// each new page on first touch, a cost paid again on every forward pass.
    /// Peak memory is unchanged; memory is returned to the system when the process exits.
    /// A no-op where glibc's `mallopt` is absent.
    public static func reuseLargeAllocations() {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which the Glibc module does not export.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapMax: Int32 = -4  // M_TRIM_THRESHOLD, M_MMAP_MAX in <malloc.h>
        _ = mallopt(mmapMax, 0)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }
}
