import FSCore
import FSTestSupport
import Foundation
import Testing
@testable import FSPublish

/// libpq is loaded with dlopen when a PostgreSQL connection opens (`LibPQ`), not linked: a
/// fs-publish run to any other target never maps it or its fifteen dependencies.
@Suite struct ClientLibraryLoadingTests {
    /// `ldd` of a built binary: its shared libraries, one per line.
    func sharedLibraries(_ name: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        p.arguments = [Binaries.productsDirectory.appendingPathComponent(name).path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text
    }

    @Test func fsPublishLinksNeitherLibpqNorTheLibrariesOnlyLibpqNeeds() throws {
        let libraries = try sharedLibraries("fs-publish")
        #expect(libraries.contains("librdkafka"), "ldd listed nothing: \(libraries)")
        for absent in ["libpq.so", "libkrb5", "libgssapi_krb5", "libldap", "libgnutls"] {
            #expect(!libraries.contains(absent), "fs-publish links \(absent):\n\(libraries)")
        }
    }

    @Test func libpqLoadsOnFirstUseWithEveryFunctionTheConnectionCalls() throws {
        let pq = try LibPQ.functions()
        // A call through the table: libpq's answer for no connection is CONNECTION_BAD (1).
        #expect(pq.PQstatus(nil).rawValue == 1)
        // Loaded now (RTLD_NOLOAD only finds a library already in the process).
        #expect(dlopen("libpq.so.5", RTLD_NOW | RTLD_NOLOAD) != nil)
    }

    @Test func aMissingClientLibraryIsExit69NamingTheLibrary() {
        let e = StoreError.clientLibraryMissing(store: "PostgreSQL", library: "libpq.so.5 (Debian package libpq5)",
                                                reason: "libpq.so.5: cannot open shared object file: No such file or directory")
        #expect(e.exitStatus == .unavailable)
        #expect(!e.isRetriable)
        #expect(e.description.contains("libpq.so.5 (Debian package libpq5)"))
    }
}
