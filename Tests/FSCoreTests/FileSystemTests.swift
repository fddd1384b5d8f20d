import Glibc
import Testing
@testable import FSCore

/// `linkIfAbsent` is the put-if-absent every Delta commit relies on: exactly one writer wins a
/// name, the loser learns it as a value, and a failure that is not "taken" is an error.
@Suite struct FileSystemTests {
    @Test func linkIfAbsentPublishesOnceAndReportsTheLoserAsAValue() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-core-test")
        defer { try? FileSystem.removeTree(dir) }
        try FileSystem.writeNewFile(dir + "/a.tmp", Array("first".utf8))
        try FileSystem.writeNewFile(dir + "/b.tmp", Array("second".utf8))
        #expect(try FileSystem.linkIfAbsent(dir + "/a.tmp", dir + "/00.json"))
        #expect(try !FileSystem.linkIfAbsent(dir + "/b.tmp", dir + "/00.json"))
        #expect(try FileSystem.readFile(dir + "/00.json") == Array("first".utf8))
        // The source stays (the caller removes its temporary), and a second name is still free.
        #expect(FileSystem.exists(dir + "/a.tmp"))
        #expect(try FileSystem.linkIfAbsent(dir + "/b.tmp", dir + "/01.json"))
    }

    @Test func linkIfAbsentThrowsNamingTheTargetWhenTheFailureIsNotATakenName() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-core-test")
        defer { try? FileSystem.removeTree(dir) }
        #expect(throws: IOError(path: dir + "/x.json", operation: "link", errno: ENOENT)) {
            try FileSystem.linkIfAbsent(dir + "/missing.tmp", dir + "/x.json")
        }
        try FileSystem.writeNewFile(dir + "/a.tmp", [1])
        #expect(throws: IOError(path: dir + "/no/such/dir/x.json", operation: "link", errno: ENOENT)) {
            try FileSystem.linkIfAbsent(dir + "/a.tmp", dir + "/no/such/dir/x.json")
        }
        #expect(IOError(path: "/p", operation: "link", errno: ENOENT).description.contains("link /p"))
    }

    @Test func createDirectoryMakesMissingParentsAndSaysWhetherItCreatedTheLeaf() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-core-test")
        defer { try? FileSystem.removeTree(dir) }
        #expect(try FileSystem.createDirectory(dir + "/a/b/c"))
        #expect(FileSystem.isDirectory(dir + "/a/b") && FileSystem.isDirectory(dir + "/a/b/c"))
        #expect(try !FileSystem.createDirectory(dir + "/a/b/c"))
        #expect(try FileSystem.createDirectory(dir + "/a/b/d/"))
        #expect(FileSystem.isDirectory(dir + "/a/b/d"))
        try FileSystem.writeNewFile(dir + "/f", [1])
        #expect(throws: IOError(path: dir + "/f", operation: "mkdir", errno: ENOTDIR)) { try FileSystem.createDirectory(dir + "/f") }
        #expect(throws: IOError(path: dir + "/f/g/h", operation: "mkdir", errno: ENOTDIR)) { try FileSystem.createDirectory(dir + "/f/g/h") }
    }

    @Test func directoryStatusTellsAbsentFromUnreadable() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-core-test")
        defer { try? FileSystem.removeTree(dir) }
        try FileSystem.writeNewFile(dir + "/f", [1])
        #expect(try FileSystem.directoryStatus(dir) == true)
        #expect(try FileSystem.directoryStatus(dir + "/f") == false)
        #expect(try FileSystem.directoryStatus(dir + "/none") == nil)
        #expect(try FileSystem.directoryStatus(dir + "/f/below") == nil)  // ENOTDIR
        #expect(symlink(dir + "/loop", dir + "/loop") == 0)
        #expect(throws: IOError(path: dir + "/loop", operation: "stat", errno: ELOOP)) { try FileSystem.directoryStatus(dir + "/loop") }
    }
}

@Suite struct UUIDTests {
    @Test func uuidsAreLowercaseVersion4WithTheRFCVariantAndDoNotRepeat() {
        var seen = Set<String>()
        var versionNibbles = Set<Character>(), variantNibbles = Set<Character>()
        for _ in 0..<2_000 {
            let u = makeUUID()
            let c = Array(u)
            #expect(c.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { c[$0] == "-" })
            #expect(c.enumerated().allSatisfy { [8, 13, 18, 23].contains($0.offset) || "0123456789abcdef".contains($0.element) }, "\(u)")
            versionNibbles.insert(c[14])
            variantNibbles.insert(c[19])
            seen.insert(u)
        }
        #expect(seen.count == 2_000)
        #expect(versionNibbles == ["4"])
        #expect(variantNibbles.isSubset(of: ["8", "9", "a", "b"]) && variantNibbles.count == 4)
    }

    @Test func readOnlyFileReadsExactRangesAndNamesTheFileWhenOneRunsPastTheEnd() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fscore-rof")
        defer { try? FileSystem.removeTree(dir) }
        let path = dir + "/data.bin"
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try FileSystem.writeNewFile(path, bytes)
        let f = try ReadOnlyFile(path)
        #expect(f.size == 10_000)
        #expect(try f.read(offset: 0, count: 4) == Array(bytes[0..<4]))
        #expect(try f.read(offset: 9_990, count: 10) == Array(bytes[9_990...]))
        #expect(try f.read(offset: 123, count: 0) == [])
        do {
            _ = try f.read(offset: 9_995, count: 10)
            Issue.record("a read past the end succeeded")
        } catch {
            #expect(error.path == path && error.errno == EIO)
        }
        #expect(throws: IOError.self) { _ = try ReadOnlyFile(dir + "/missing.bin") }
    }
}
