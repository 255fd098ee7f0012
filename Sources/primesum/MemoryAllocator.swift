import CMalloc

/// The process's malloc settings, set once in `main` before anything allocates much.
enum MemoryAllocator {
    /// Blocks from 4 MiB up are mapped on their own and returned to the kernel when freed.
    ///
    /// glibc otherwise raises this threshold to the size of each mapped block freed (up to
    /// 32 MiB): once one prefix sum has freed its tables, the next one's tables and per-chunk
    /// arrays below that size come from its heaps, where they fragment. A range [a, b), two
    /// prefix sums in turn, peaked 11 MB above S(b) alone near 1e18 and 54 MB above it near
    /// 2^64; fixed at 4 MiB it peaks 2-4 MB above S(b) (73.4 against 71.5 MB near 1e18,
    /// 159.0 against 154.7 near 2^64). The engine's per-chunk arrays, well below
    /// it, still come from the heaps: fixed at glibc's initial 128 KiB they were mapped and
    /// unmapped chunk by chunk, 4-6% slower at 1e16. BENCHMARKS.md has the runs.
    static func configure() {
        _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
    }
}
