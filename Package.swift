// swift-tools-version: 6.1
import PackageDescription

/// The engine's hot loops are compiled with optimisation even in debug builds, so that
/// `swift test` can check the oracle sums in seconds rather than minutes.
/// The engine is optimized in every configuration; on x86-64 it targets the x86-64-v2
/// instruction set (named by its first CPU, nehalem; every x86-64 CPU since about 2011 has
/// it), whose POPCNT instruction its bit sums run on: the baseline x86-64 has none, and
/// counting bits in software took a large share of the leaves' time.
#if arch(x86_64)
let engineTarget = ["-target-cpu", "nehalem"]
#else
let engineTarget: [String] = []
#endif
let optimizedEngine: [SwiftSetting] = [.unsafeFlags(["-O", "-enforce-exclusivity=unchecked"] + engineTarget)]

/// A store's schema migrations, `Schema/NAME.sql`, embedded in the binary (`PackageResources`).
func migrations(_ names: String...) -> [Resource] { names.map { .embedInCode("Schema/\($0).sql") } }

let package = Package(
    name: "primesum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "primesum", targets: ["primesum"]),
        .library(name: "PrimeSum", targets: ["PrimeSum"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(
            url: "https://github.com/apple/swift-configuration", from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC exporter would double the build for no user.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .systemLibrary(
            name: "CPrimesieve",
            pkgConfig: "primesieve",
            providers: [.apt(["libprimesieve-dev"])]
        ),
        // glibc's mallopt, for the binary's malloc settings (`MemoryAllocator`).
        .systemLibrary(name: "CMalloc"),
        .target(
            name: "PrimeSum",
            dependencies: ["CPrimesieve"],
            swiftSettings: optimizedEngine
        ),
        .target(
            name: "PrimeSumJobs",
            dependencies: [
                "PrimeSum",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "PrimeSumSQLite",
            dependencies: ["PrimeSumJobs", .product(name: "GRDB", package: "GRDB.swift")],
            // The schema's migrations, compiled into the binary.
            resources: migrations(
                "v1-jobs-and-leases", "v2-replica-heartbeats", "v3-parts", "v4-settlement-checks",
                "v5-the-queue-of-whole-jobs", "v6-worker-and-trace", "v7-pieces-of-prefix-sums")
        ),
        .target(name: "PrimeSumTLS", dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .target(
            name: "PrimeSumPostgres",
            dependencies: [
                "PrimeSumJobs", "PrimeSumTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: migrations(
                "v1-jobs", "v2-heartbeats", "v3-parts", "v4-writer-tags-and-settlement-checks",
                "v5-ended-jobs-notified", "v6-whole-job-queue", "v7-part-queue",
                "v8-worker-and-trace", "v9-pieces-of-prefix-sums")
        ),
        .target(
            name: "PrimeSumCouchDB",
            dependencies: [
                "PrimeSumJobs", "PrimeSumTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "PrimeSumRedisClient",
            dependencies: [
                "PrimeSumTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "PrimeSumRedis",
            dependencies: [
                "PrimeSumJobs", "PrimeSumRedisClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "PrimeSumServer",
            dependencies: [
                "PrimeSum", "PrimeSumAPI", "PrimeSumJobs", "PrimeSumSQLite", "PrimeSumPostgres",
                "PrimeSumCouchDB",
                "PrimeSumRedis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // The web console, compiled into the binary: nothing to install beside it.
            resources: [
                .embedInCode("Console/index.html"), .embedInCode("Console/console.js"),
                .embedInCode("Console/console.css"),
            ]
        ),
        .target(name: "PrimeSumAPI"),
        .target(
            name: "PrimeSumClient",
            dependencies: [
                "PrimeSumAPI", "PrimeSumTLS", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "PrimeSumLoadTest",
            dependencies: [
                "PrimeSum", "PrimeSumAPI", "PrimeSumTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(
            name: "primesum",
            dependencies: [
                "CMalloc", "PrimeSum", "PrimeSumAPI", "PrimeSumServer", "PrimeSumClient", "PrimeSumLoadTest",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        .testTarget(name: "PrimeSumTests", dependencies: ["PrimeSum"]),
        // Test support shared by the test targets, never linked into the product.
        .target(name: "PrimeSumJobsTestSupport", dependencies: ["PrimeSumJobs"], path: "Tests/Support"),
        .testTarget(
            name: "PrimeSumJobsTests",
            dependencies: [
                "PrimeSum", "PrimeSumJobs", "PrimeSumJobsTestSupport", "PrimeSumSQLite", "PrimeSumPostgres",
                "PrimeSumCouchDB",
                "PrimeSumRedis", "PrimeSumRedisClient", "PrimeSumTLS",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "PrimeSumRedisClientTests",
            dependencies: ["PrimeSumRedisClient", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "PrimeSumCouchDBTests",
            dependencies: [
                "PrimeSumCouchDB", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "PrimeSumServerTests",
            dependencies: [
                "PrimeSumServer", "PrimeSumJobsTestSupport", "PrimeSumRedis", "PrimeSumSQLite",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "primesumTests",
            dependencies: ["primesum", "PrimeSum", "PrimeSumAPI", "PrimeSumClient", "PrimeSumLoadTest"]),
    ],
    swiftLanguageModes: [.v6]
)
