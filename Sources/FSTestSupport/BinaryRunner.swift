import Foundation

/// Runs one of the built fs executables (they sit next to the test bundle) and captures its
/// exit status, stdout and stderr. Shared by every test target that runs the binaries.
/// Built only by `Binaries` (the memberwise init).
public struct BinaryRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum Binaries {
    /// The build products directory (`.build/<config>`), found from the test runner's path.
    public static var productsDirectory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("fs-publish").path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug")
    }

    public static func run(_ name: String, _ args: [String], environment: [String: String] = [:]) throws -> BinaryRun {
        let p = Process()
        p.executableURL = productsDirectory.appendingPathComponent(name)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return BinaryRun(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// As `run`, with stdout and stderr going to files instead of pipes: a chatty child
    /// (librdkafka's `debug=all`, kcat) would fill a pipe and block while `run` drains the other.
    public static func runToFiles(_ name: String, _ args: [String]) throws -> BinaryRun {
        try runToFiles(executable: productsDirectory.appendingPathComponent(name), args)
    }

    /// Runs any program that way, stdin empty; the files go in a temporary directory, removed after.
    public static func runToFiles(executable: URL, _ args: [String]) throws -> BinaryRun {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fs-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        p.waitUntilExit()
        return BinaryRun(status: p.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                         stderr: try String(contentsOf: err, encoding: .utf8))
    }
}
