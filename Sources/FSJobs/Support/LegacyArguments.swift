import ArgumentParser
import FSCore

/// Rewrites the original jobs' command lines into the form our parser takes.
///
/// The original used commons-cli, which strips leading hyphens, so `-input-table x` and
/// `--input-table x` both worked and run-all.sh scripts use either. We turn a single-dash token
/// into the double-dash form when its name is one of the command's long options (so `-5` or a
/// value like `-47.39` is left alone). `--name=value` is kept as is.
/// kcat's joined form `-Xkey=value` is split into `-X key=value` (ArgumentParser would take it
/// for a single-dash long option); no long option starts with `X`.
public enum LegacyArguments {
    /// `longNames` is evaluated only when a token has a single dash: building it asks
    /// ArgumentParser for the command's whole JSON description (`_dumpHelp`), 3–7 ms of CPU at
    /// every start of a job (perf, fs-publish) that a command line of `--name` flags never needs.
    public static func normalize(_ args: [String], longNames: @autoclosure () -> Set<String>) -> [String] {
        guard args.contains(where: { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.count > 2 }) else { return args }
        let names = longNames()
        return args.flatMap { token -> [String] in
            if token.hasPrefix("-X"), token.count > 2 { return ["-X", String(token.dropFirst(2))] }
            return [normalizeToken(token, longNames: names)]
        }
    }

    private static func normalizeToken(_ token: String, longNames: Set<String>) -> String {
        guard token.hasPrefix("-"), !token.hasPrefix("--"), token.count > 2 else { return token }
        let body = token.dropFirst()
        let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? String(body)
        return longNames.contains(name) ? "-" + token : token
    }

    /// Every `--name` a command declares (option groups and aliases included), read from
    /// ArgumentParser's own JSON description of the command (`_dumpHelp`, the data behind
    /// `--experimental-dump-help`), so the single-dash forms follow the declarations and a new
    /// option cannot be forgotten. `help` is left out: `-help` is not an original flag.
    public static func longOptionNames(of command: any ParsableArguments.Type) -> Set<String> {
        guard let info = try? JSONValue.parse(command._dumpHelp()),
              let arguments = info["command"]?["arguments"]?.arrayValue else {
            preconditionFailure("ArgumentParser's description of \(command) is not the JSON it documents")
        }
        var names = Set<String>()
        for argument in arguments {
            for name in argument["names"]?.arrayValue ?? [] where name["kind"]?.stringValue == "long" {
                if let n = name["name"]?.stringValue, n != "help" { names.insert(n) }
            }
        }
        return names
    }
}
