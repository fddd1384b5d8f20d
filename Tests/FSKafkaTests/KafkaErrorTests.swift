import FSCore
import FSKafka
import Testing

@Suite("Error translation")
struct KafkaErrorTests {
    /// Nothing listens on port 1 of loopback: metadata-backed calls time out as retriable,
    /// unavailable (exit 69) errors instead of hanging or crashing.
    @Test func unreachableBrokerGivesRetriableUnavailableErrors() throws {
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: "127.0.0.1:1", groupId: "g",
                                                                     extra: ["socket.connection.setup.timeout.ms": "1000"]))
        defer { consumer.close() }
        do {
            _ = try consumer.watermarks(TopicPartition(topic: "t", partition: 0), timeout: .milliseconds(800))
            Issue.record("watermarks against an unreachable broker succeeded")
        } catch {
            #expect(error.isRetriable)
            #expect(!error.isFatal)
            #expect(error.exitStatus == .unavailable)
            #expect(error.description.contains("watermarks of t[0]"))
        }
        do {
            _ = try consumer.partitions(topic: "t", timeout: .milliseconds(800))
            Issue.record("metadata against an unreachable broker succeeded")
        } catch {
            #expect(error.isRetriable)
            #expect(error.exitStatus == .unavailable)
        }
    }

    @Test func undeliverableMessagesFailTheFlushAsRetriable() throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: "127.0.0.1:1",
                                                                     extra: ["message.timeout.ms": "500"]))
        try producer.produce(topic: "t", key: nil, value: Array("x".utf8))
        try producer.produce(topic: "t", key: nil, value: Array("y".utf8))
        do {
            try producer.flush(timeout: .seconds(5))
            Issue.record("flush succeeded without a broker")
        } catch {
            #expect(error.name == "_MSG_TIMED_OUT")
            #expect(error.isRetriable)
            #expect(error.exitStatus == .unavailable)
            #expect(error.message.contains("2 message(s) failed"))
        }
        #expect(producer.deliveredCount == 0)
    }

    @Test func badConfigurationIsAUsageErrorNamingTheProperty() {
        do {
            _ = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: "x:1", groupId: "g", extra: ["no.such.property": "1"]))
            Issue.record("unknown property accepted")
        } catch {
            #expect(error.exitStatus == .usage)
            #expect(error.message.contains("no.such.property"))
            #expect(!error.isRetriable)
        }
        #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: "x:1", compression: "bogus"))
        }
    }

    @Test func aClosedConsumerRefusesWorkWithoutCrashing() throws {
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: "127.0.0.1:1", groupId: "g"))
        consumer.close()
        consumer.close()
        #expect(consumer.assignment.isEmpty)
        #expect(throws: KafkaError.self) { _ = try consumer.poll(maxMessages: 1, timeout: .zero) }
    }
}
