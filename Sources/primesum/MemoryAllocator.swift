#if canImport(CMalloc)
    import CMalloc
#endif

/// The process's malloc settings, set once in `main` before anything allocates much.
enum MemoryAllocator {
    /// Blocks from 4 MiB up are mapped on their own and returned to the kernel when freed.
    ///
    /// glibc otherwise raises this threshold to the size of each mapped block freed (up to
    /// 32 MiB) and keeps up to twice that free in its heaps: after one prefix sum freed its
    /// tables, the next one's tables below that size came from the heaps, and a range [a, b)
    /// (two prefix sums in turn) peaked 4.8 MB above S(b) alone at 1e17 and 54 MB above it
    /// near 2^64. Fixed at 4 MiB the peak is that of S(b); the engine's per-chunk arrays, well
    /// below it, still come from the heaps (fixed at glibc's default 128 KiB they were mapped
    /// and unmapped each chunk, 4-6% slower at 1e16). BENCHMARKS.md has the runs.
    static func configure() {
        #if canImport(CMalloc)
            _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
        #endif
    }
}
