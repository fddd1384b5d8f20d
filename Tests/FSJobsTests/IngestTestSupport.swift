import FSTestSupport
import FSCore
import FSKafka
import FSTable
import Foundation

/// A status-stream source with known good, bad and duplicate messages, produced into a mock
/// cluster topic; tests compare what fs-ingest wrote against it.
struct StatusSource {
    struct Message { var key: String; var value: [UInt8]; var isBad: Bool; var statusId: String? }
    var messages: [Message] = []

    /// `count` messages: every 10th is malformed (rotating through classes), every 7th good one
    /// is followed later by an exact duplicate (same key, so same partition).
    init(count: Int) {
        let bad: [[UInt8]] = [
            Array("not json".utf8), [], Array(#"{"order_id":"x"}"#.utf8), Array(#"{"created_at":"soon"}"#.utf8),
            Array(#"{"created_at":null}"#.utf8), Array(#"[1,2]"#.utf8), [0xFF, 0xFE], Array(#"{"created_at":"2019-01-25T01:05:07Z","value":{}}"#.utf8),
            Array(#"{"created_at":"2019-01-25T01:05:07Z""#.utf8), Array(#"{"created_at":1}"#.utf8),
        ]
        var dups: [Message] = []
        for i in 0..<count {
            let order = "order-\(i % 37)"
            if i % 10 == 9 {
                messages.append(Message(key: order, value: bad[(i / 10) % bad.count], isBad: true, statusId: nil))
                continue
            }
            let status = "s-\(i)"
            let day = 1 + i % 3
            let m = Message(key: order, value: Array(#"{"created_at":"2019-01-0\#(day)T0\#(i % 10):00:00.000Z","order_id":"\#(order)","status_id":"\#(status)","value":"PLACED"}"#.utf8), isBad: false, statusId: status)
            messages.append(m)
            if i % 7 == 0 { dups.append(m) }
            if i % 50 == 49 { messages.append(contentsOf: dups); dups = [] }
        }
        messages.append(contentsOf: dups)
    }

    var expectedStatusIds: [String] { Array(Set(messages.compactMap(\.statusId))).sorted() }
    var badCount: Int { messages.filter(\.isBad).count }
    var duplicateCount: Int { messages.filter { !$0.isBad }.count - expectedStatusIds.count }

    func produce(to cluster: MockKafkaCluster, topic: String) throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        for m in messages { try producer.produce(topic: topic, key: Array(m.key.utf8), value: m.value) }
        try producer.flush(timeout: .seconds(20))
    }
}

/// The rows of a Delta table (empty when absent).
func readTable(_ path: String) throws -> RecordBatch? {
    guard try DeltaTable.exists(at: path) else { return nil }
    var scan = try TableScan.open(path)
    return try scan.readAll()
}

func strings(_ batch: RecordBatch?, _ column: String) -> [String] {
    guard let b = batch, let c = b.column(named: column) else { return [] }
    return (0..<c.count).map { if case .string(let s) = c[$0] { return s } else { return "<\(c[$0])>" } }
}

/// "partition/offset" of every row.
func coordinates(_ batch: RecordBatch?) -> [String] {
    guard let b = batch, let p = b.column(named: "fs_partition"), let o = b.column(named: "fs_offset") else { return [] }
    return (0..<b.rowCount).map { "\(p[$0])/\(o[$0])" }
}

func temporaryDirectory(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "fs-ingest-\(name)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Starts a built binary in the background (stderr to a file, for diagnosis).
func launch(_ name: String, _ args: [String], log: String) throws -> Process {
    let p = Process()
    p.executableURL = Binaries.productsDirectory.appendingPathComponent(name)
    p.arguments = args
    FileManager.default.createFile(atPath: log, contents: nil)
    let h = FileHandle(forWritingAtPath: log)
    p.standardError = h
    p.standardOutput = h
    try p.run()
    return p
}
