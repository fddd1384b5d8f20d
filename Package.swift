// swift-tools-version:6.0
//
// fs — a Swift feature store. Library modules import only downward (every one also imports
// FSCore); the targets below are declared in this order:
//
//   CFileSync ► FSCore
//   CZstd ──┐
//   FSCore ─┴► FSParquet ─► FSTable ──────────────┐
//   FSCore ──► FSExpr ────► FSAggregation ────────┤
//   FSCore, CStreamsSIMD ► FSStreams ─────────────┤
//   CRdKafka ► FSKafka ───────────────────────────┴► FSJobs ─► fs-ingest, fs-agg-offline, fs-agg-online,
//                                                    │          fs-table (developer tool)
//                                                    ├► FSSandbox (+ CZlib) ─► fs-sandbox
//                                                    └► FSPublish (+ CSQLite, CPostgres, CMariaDB,
//                                                       CHiredis) ────► fs-publish
//                                                       └► FSServe (+ SwiftNIO) ─► fs-serve
//   FSCore, FSParquet, FSTable, FSExpr, FSAggregation ─► fs-bench (developer tool)
//
// See Sources/README.md for what each module owns.
//
// Platforms: Linux only — the library code imports Glibc unconditionally (no Foundation) and
// calls glibc's `mallopt`/`malloc_trim`; the C libraries come from pkg-config. SwiftPM has no
// Linux entry for `platforms:`, so none is declared; the `.macOS(.v13)` this file used to
// carry was not true (the code does not build against Darwin).
import PackageDescription

/// Release executables link the Swift runtime and standard library statically (`-static-stdlib`;
/// FoundationEssentials, which swift-argument-parser brings in, needs its two helper libraries
/// named). Measured on the bench workloads (alternating runs of the same objects linked both
/// ways): fs-agg-online 1.06 → 0.98 s and 1.14 → 1.08 s median, CPU −6 to −8%; fs-ingest 6.24 →
/// 5.75 s, CPU 10.9 → 9.9 s; `--help` 16.9 → 11.5 ms. The runtime's entry points (retain,
/// release, uniqueness and exclusivity checks: 5–9% of the jobs' samples) are then called
/// directly instead of through the PLT, and start-up loads 13 shared objects instead of 24.
/// Debug builds (the test suites) stay dynamic: they link faster.
let staticSwiftRuntime: [LinkerSetting] = [
    .unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims"], .when(configuration: .release)),
]

let package = Package(
    name: "fs",
    products: [
        .executable(name: "fs-publish", targets: ["fs-publish"]),
        .executable(name: "fs-serve", targets: ["fs-serve"]),
        .executable(name: "fs-ingest", targets: ["fs-ingest"]),
        .executable(name: "fs-agg-offline", targets: ["fs-agg-offline"]),
        .executable(name: "fs-agg-online", targets: ["fs-agg-online"]),
        .executable(name: "fs-table", targets: ["fs-table"]),
        .executable(name: "fs-bench", targets: ["fs-bench"]),
        .executable(name: "fs-sandbox", targets: ["fs-sandbox"]),
        .library(name: "FSKafka", targets: ["FSKafka"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // The event loops and sockets of fs-serve only (NIOCore/NIOPosix; its HTTP/1.1 parser is our own; chosen over Hummingbird 2 by
        // measurement, see FSServe/HTTPServer.swift).
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // System C libraries, found through pkg-config. Nothing but one owner file imports them.
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Store clients: linked only by FSPublish (so only fs-publish and the server carry them).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // libpq: declarations only (Sources/CPostgres/shim.h), loaded with dlopen by
        // FSPublish/Clients/LibPQ.swift when a PostgreSQL connection opens — no pkg-config (its
        // libs would link libpq and its fifteen dependencies into every start of fs-publish).
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),

        // Library modules, bottom to top.
        // syncfs and sync_file_range, which Swift's Glibc does not declare (FSCore/FileSystem+Sync.swift).
        .target(name: "CFileSync"),
        .target(name: "FSCore", dependencies: ["CFileSync"]),
        .target(name: "FSParquet", dependencies: ["FSCore", "CZstd"]),
        .target(name: "FSTable", dependencies: ["FSCore", "FSParquet"]),
        .target(name: "FSExpr", dependencies: ["FSCore"]),
        .target(name: "FSAggregation", dependencies: ["FSCore", "FSExpr"]),
        // The JSON string decoder's SSSE3 path, chosen at run time (see its source's comment).
        .target(name: "CStreamsSIMD"),
        .target(name: "FSStreams", dependencies: ["FSCore", "CStreamsSIMD"]),
        .target(name: "FSKafka", dependencies: ["FSCore", "CRdKafka"]),
        .target(
            name: "FSJobs",
            dependencies: [
                "FSCore", "FSParquet", "FSTable", "FSExpr", "FSAggregation", "FSKafka", "FSStreams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The Kafka sandbox (mock broker, sample sources, replayer): above FSJobs (its scaffold and
        // Kafka client options), so only fs-sandbox links zlib.
        .target(
            name: "FSSandbox",
            dependencies: [
                "FSCore", "FSKafka", "FSStreams", "FSJobs", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The publishers: above FSJobs (its scaffold), so only what imports FSPublish links the
        // store clients — fs-ingest, fs-agg-offline and fs-agg-online do not.
        .target(
            name: "FSPublish",
            dependencies: [
                "FSCore", "FSParquet", "FSTable", "FSExpr", "FSKafka", "FSJobs", "CSQLite", "CPostgres", "CMariaDB", "CHiredis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Test support: starts real store servers (redis, PostgreSQL, MariaDB) for the test suites.
        .target(name: "FSTestSupport", dependencies: ["FSCore"]),
        // The feature server: above FSJobs (its scaffold); the only module that links the HTTP stack.
        // The stores it reads through FSPublish's clients (Clients/): no C store module of its own.
        .target(
            name: "FSServe",
            dependencies: [
                "FSCore", "FSParquet", "FSTable", "FSJobs", "FSPublish",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Thin executables: parse flags, call one job type.
        .executableTarget(name: "fs-serve", dependencies: ["FSJobs", "FSServe"], linkerSettings: staticSwiftRuntime),
        .executableTarget(name: "fs-publish", dependencies: ["FSJobs", "FSPublish"], linkerSettings: staticSwiftRuntime),
        .executableTarget(name: "fs-ingest", dependencies: ["FSJobs"], linkerSettings: staticSwiftRuntime),
        .executableTarget(name: "fs-agg-offline", dependencies: ["FSJobs"], linkerSettings: staticSwiftRuntime),
        .executableTarget(name: "fs-agg-online", dependencies: ["FSJobs"], linkerSettings: staticSwiftRuntime),
        .executableTarget(name: "fs-sandbox", dependencies: ["FSJobs", "FSSandbox"], linkerSettings: staticSwiftRuntime),
        // Developer tools: inspect/dump tables (interop suite), benchmark workloads (make bench).
        .executableTarget(name: "fs-table", dependencies: ["FSJobs"], linkerSettings: staticSwiftRuntime),
        .executableTarget(name: "fs-bench", dependencies: ["FSCore", "FSParquet", "FSTable", "FSExpr", "FSAggregation"],
                          linkerSettings: staticSwiftRuntime),

        // Tests.
        .testTarget(name: "FSCoreTests", dependencies: ["FSCore"]),
        .testTarget(name: "FSParquetTests", dependencies: ["FSCore", "FSParquet", "CZstd"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FSTableTests", dependencies: ["FSCore", "FSParquet", "FSTable"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FSExprTests", dependencies: ["FSCore", "FSExpr"], resources: [.copy("Goldens")]),
        .testTarget(name: "FSAggregationTests", dependencies: ["FSCore", "FSExpr", "FSAggregation"]),
        .testTarget(name: "FSStreamsTests", dependencies: ["FSCore", "FSStreams"]),
        .testTarget(name: "FSKafkaTests", dependencies: ["FSCore", "FSKafka", "FSJobs", "FSStreams", "FSSandbox"]),
        .testTarget(name: "FSTestSupportTests", dependencies: ["FSCore", "FSTestSupport"]),
        .testTarget(name: "FSServeTests", dependencies: ["FSCore", "FSTable", "FSJobs", "FSPublish", "FSServe", "FSTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")], resources: [.copy("Goldens")]),
        .testTarget(name: "FSJobsTests", dependencies: ["FSCore", "FSTable", "FSAggregation", "FSJobs", "FSKafka", "FSStreams", "FSTestSupport", "FSPublish", "FSServe", "FSSandbox"], exclude: ["Fixtures"]),
        .testTarget(name: "FSPublishTests", dependencies: ["FSCore", "FSTable", "FSJobs", "FSKafka", "FSPublish", "FSTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
