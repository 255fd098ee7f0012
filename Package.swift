// swift-tools-version: 6.1
import PackageDescription

/// The engine's hot loops are compiled with optimisation even in debug builds, so that
/// `swift test` can check the oracle sums in seconds rather than minutes.
let optimizedEngine: [SwiftSetting] = [.unsafeFlags(["-O", "-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "primesum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "primesum", targets: ["primesum"]),
        .library(name: "PrimeSum", targets: ["PrimeSum"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CPrimesieve",
            pkgConfig: "primesieve",
            providers: [.apt(["libprimesieve-dev"])]
        ),
        .target(
            name: "PrimeSum",
            dependencies: ["CPrimesieve"],
            swiftSettings: optimizedEngine
        ),
        .executableTarget(
            name: "primesum",
            dependencies: [
                "PrimeSum",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PrimeSumTests", dependencies: ["PrimeSum"]),
        .testTarget(name: "primesumTests", dependencies: ["primesum"]),
    ],
    swiftLanguageModes: [.v6]
)
