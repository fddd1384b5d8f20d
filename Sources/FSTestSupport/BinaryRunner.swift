import Foundation

/// Runs one of the built fs executables (they sit next to the test bundle) and captures its
/// exit status, stdout and stderr. Shared by every test target that runs the binaries.
public struct BinaryRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
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
}
