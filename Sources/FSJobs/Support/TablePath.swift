/// Drops trailing slashes and collapses `//` (run-all.sh passes `/tmp/ifood/data//ingestion`).
package func normalizeTablePath(_ path: String) -> String {
    var parts: [Substring] = []
    for p in path.split(separator: "/", omittingEmptySubsequences: true) where p != "." { parts.append(p) }
    let joined = parts.joined(separator: "/")
    return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
}
