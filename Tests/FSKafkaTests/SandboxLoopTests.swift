import FSCore
import FSStreams
import FSSandbox
import FSJobs
import FSKafka
import Testing

/// `fs-sandbox produce --passes/--loop/--duration/--time-shift/--id-tag`, in process against the mock cluster.
@Suite("fs-sandbox produce loops")
struct SandboxLoopTests {
    static let day: Int64 = 86_400_000_000

    /// Every message of the topic; asks for one more than `count` so a surplus would show.
    static func readExactly(_ cluster: MockKafkaCluster, topic: String, partitions: Int32, count: Int) throws -> [(key: String?, value: String)] {
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "loop-check"))
        defer { consumer.close() }
        try consumer.assign((0 ..< partitions).map { TopicPartitionOffset(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
        return try KafkaFixture.drain(consumer, expected: count + 1, deadline: .seconds(3)).map { ($0.key, $0.value) }
    }

    static func replay(_ stream: StreamType, dir: String, cluster: MockKafkaCluster, passes: Int?, keep: Bool = true,
                       shiftDays: Int64 = 0, duration: Int64? = nil, rate: Int = 0, idTag: String? = nil,
                       until stop: () -> Bool = { false }) throws -> ReplaySummary {
        try SourceReplayer(config: ReplayConfig(stream: stream, sourcePath: "\(dir)/\(stream.sourceFileName)", bootstrapServers: cluster.bootstrapServers,
                                                ratePerSecond: rate, retimeToNow: !keep, passes: passes, maxDurationMicros: duration,
                                                timeShiftMicros: shiftDays * day, idTag: idTag)).run(until: stop)
    }

    @Test func laterPassesCarryFreshIdsAndTimesMovedForwardByTheShift() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-passes")
        defer { try? FileSystem.removeTree(dir) }
        let generator = SampleGenerator(orders: 30, seed: 5)
        _ = try generator.write(to: dir)
        let source = (generator.generate()[.orderStatusEvents] ?? "").split(separator: "\n").map(String.init)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-status-events", partitions: 2)

        let summary = try Self.replay(.orderStatusEvents, dir: dir, cluster: cluster, passes: 3, shiftDays: 31)
        #expect(summary.messages == 3 * source.count && summary.passes == 3 && summary.end == .passes)
        let got = try Self.readExactly(cluster, topic: "de-order-status-events", partitions: 2, count: summary.messages)
        #expect(got.count == 3 * source.count)

        // Pass 0 is the source verbatim; pass p renames order_id and status_id with "-p" and adds p × 31 days.
        var expected: [String] = source
        for pass in 1 ... 2 {
            for line in source {
                guard case .object(var fields) = try JSONValue.parse(line) else { Issue.record("not an object: \(line)"); continue }
                for i in fields.indices {
                    switch fields[i].0 {
                    case "order_id", "status_id": fields[i].1 = .string(fields[i].1.stringValue! + "-\(pass)")
                    case "created_at":
                        let t = try #require(parseTimestamp(fields[i].1.stringValue!))
                        fields[i].1 = .string(formatISO8601(micros: t + Int64(pass) * 31 * Self.day, fractionDigits: 3))
                    default: break
                    }
                }
                expected.append(JSONValue.object(fields).description)
            }
        }
        #expect(got.map(\.value).sorted() == expected.sorted())
        // The source repeats some status events exactly (as iFood's did); no id repeats across passes.
        let sourceIds = try Set(source.map { try JSONValue.parse($0)["status_id"]?.stringValue ?? "" })
        let statusIds = try got.map { try JSONValue.parse($0.value)["status_id"]?.stringValue ?? "" }
        #expect(Set(statusIds).count == 3 * sourceIds.count)
        for message in got { #expect(message.key == (try JSONValue.parse(message.value))["order_id"]?.stringValue) }
    }

    @Test func aCSVSourceHasItsHeaderSkippedOnEveryPass() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-csv-passes")
        defer { try? FileSystem.removeTree(dir) }
        _ = try SampleGenerator(orders: 30, seed: 6).write(to: dir)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-consumer-events", partitions: 1)
        let once = try Self.replay(.consumerEvents, dir: dir, cluster: cluster, passes: 1)
        let twice = try Self.replay(.consumerEvents, dir: dir, cluster: cluster, passes: 2, shiftDays: 1)
        #expect(twice.messages == 2 * once.messages && twice.unconverted == 0 && once.messages == 10)
        let got = try Self.readExactly(cluster, topic: "de-consumer-events", partitions: 1, count: 3 * once.messages)
        #expect(got.count == 3 * once.messages)
        #expect(!got.contains { $0.value.contains("\"customer_id\":\"customer_id\"") }, "a header line was sent as data")
        // Consumers are long-lived entities: their ids stay, their times move by a day on pass 1.
        #expect(Set(got.map(\.key)).count == once.messages)
    }

    @Test func anIdTagMakesEveryPassIncludingTheFirstUnique() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-tag")
        defer { try? FileSystem.removeTree(dir) }
        _ = try SampleGenerator(orders: 12, seed: 7).write(to: dir)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-events", partitions: 1)
        let first = try Self.replay(.orderEvents, dir: dir, cluster: cluster, passes: 2, keep: false, idTag: "r1")
        let second = try Self.replay(.orderEvents, dir: dir, cluster: cluster, passes: 2, keep: false, idTag: "r2")
        let got = try Self.readExactly(cluster, topic: "de-order-events", partitions: 1, count: first.messages + second.messages)
        #expect(got.count == 48)
        #expect(Set(got.compactMap(\.key)).count == 48, "ids repeat between passes or runs")
        #expect(got.allSatisfy { $0.key?.hasSuffix("-r1-0") == true || $0.key?.hasSuffix("-r1-1") == true
                                 || $0.key?.hasSuffix("-r2-0") == true || $0.key?.hasSuffix("-r2-1") == true })
    }

    @Test func aLoopEndsWhenTheStopConditionHoldsAndItsSummaryCountsWhatTheTopicReceived() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-loop-stop")
        defer { try? FileSystem.removeTree(dir) }
        _ = try SampleGenerator(orders: 20, seed: 8).write(to: dir)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-events", partitions: 2)
        var checks = 0
        let summary = try Self.replay(.orderEvents, dir: dir, cluster: cluster, passes: nil, keep: false) {
            checks += 1
            return checks > 75
        }
        #expect(summary.end == .signal)
        // The stop is checked before each line: 75 lines (3 whole passes of 20 and 15 more) were sent.
        #expect(summary.messages == 75 && summary.passes == 4)
        let got = try Self.readExactly(cluster, topic: "de-order-events", partitions: 2, count: summary.messages)
        #expect(got.count == summary.messages)
    }

    @Test func aDurationEndsALoopMidPass() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-loop-duration")
        defer { try? FileSystem.removeTree(dir) }
        _ = try SampleGenerator(orders: 300, seed: 9).write(to: dir)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-events", partitions: 1)
        // 100 messages/s for 0.3 s cannot finish a 300-order pass: the duration, not the source, ends it.
        let summary = try Self.replay(.orderEvents, dir: dir, cluster: cluster, passes: nil, keep: false, duration: 300_000, rate: 100)
        #expect(summary.end == .duration)
        #expect(summary.messages > 0 && summary.messages < 300 && summary.passes == 1)
        let got = try Self.readExactly(cluster, topic: "de-order-events", partitions: 1, count: summary.messages)
        #expect(got.count == summary.messages)
    }

    @Test(arguments: [
        (["--loop", "--passes", "2"], "--passes"),
        (["--passes", "0"], "--passes"),
        (["--loop", "--retime", "keep"], "--time-shift"),
        (["--passes", "2", "--retime", "keep"], "--time-shift"),
        (["--time-shift", "1 day"], "--time-shift"),
        (["--retime", "keep", "--passes", "2", "--time-shift", "3 months"], "--time-shift"),
        (["--loop", "--duration", "0 seconds"], "--duration"),
        (["--loop", "--duration", "soon"], "--duration"),
        (["--id-tag", "a b"], "--id-tag"),
    ])
    func badLoopFlagsAreUsageErrorsNamingTheFlag(args: [String], flag: String) throws {
        let produce = try SandboxCommand.Produce.parse(["--stream-type", "order-events", "--source", "/dev/null", "--bootstrap-servers", "x:1"] + args)
        #expect(throws: UsageError.self) { try produce.resolve() }
        do { _ = try produce.resolve() } catch { #expect(error.flag == flag) }
    }

    @Test func loopFlagsResolveToPassesDurationAndShift() throws {
        let base = ["--stream-type", "order-events", "--source", "/dev/null", "--bootstrap-servers", "x:1"]
        let looping = try SandboxCommand.Produce.parse(base + ["--loop", "--duration", "2 minutes", "--rate", "50"]).resolve()
        #expect(looping.passes == nil && looping.maxDurationMicros == 120_000_000 && looping.ratePerSecond == 50 && looping.retimeToNow)
        let shifted = try SandboxCommand.Produce.parse(base + ["--passes", "5", "--retime", "keep", "--time-shift", "31 days"]).resolve()
        #expect(shifted.passes == 5 && shifted.timeShiftMicros == 31 * Self.day && !shifted.retimeToNow)
        #expect(try SandboxCommand.Produce.parse(base).resolve().passes == 1)
    }
}
