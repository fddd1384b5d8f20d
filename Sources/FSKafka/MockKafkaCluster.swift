import CRdKafka

/// librdkafka's in-process mock cluster: real Kafka wire protocol on loopback, so any client
/// (ours, kcat) can talk to it. For tests and `fs-sandbox broker`.
///
/// Limit (librdkafka 2.0.2): each partition keeps at most ~5 MiB / 100k message sets and
/// silently drops older data — preload big data over many partitions with compression.
/// The mock's topic admin API (CreateTopics) is unsupported: use `createTopic`.
public final class MockKafkaCluster: @unchecked Sendable {
    /// The dedicated producer handle the cluster lives on (librdkafka needs one for bookkeeping).
    private let rk: OpaquePointer
    /// The cluster; destroyed before the handle in `deinit` (`rd_kafka_mock_cluster_destroy`, then `rd_kafka_destroy`).
    private let cluster: OpaquePointer

    /// Starts `brokers` mock brokers on loopback (`rd_kafka_mock_cluster_new`).
    public init(brokers: Int = 1) throws(KafkaError) {
        guard brokers >= 1 else { throw KafkaError.configuration(property: "brokers", detail: "needs at least 1 broker, got \(brokers)") }
        let conf = try makeConf([("client.id", "fs-mock-cluster"), ("log_level", "3")])
        rk = try makeClient(RD_KAFKA_PRODUCER, conf: conf)
        guard let cluster = rd_kafka_mock_cluster_new(rk, Int32(clamping: brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, context: "rd_kafka_mock_cluster_new")
        }
        self.cluster = cluster
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(rk)
    }

    /// `host:port,…` of the brokers (`rd_kafka_mock_cluster_bootstraps`; the string is the cluster's).
    public var bootstrapServers: String { String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) }

    /// Creates a topic (`rd_kafka_mock_topic_create`). Creating an existing topic throws
    /// `TOPIC_ALREADY_EXISTS`.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1) throws(KafkaError) {
        guard partitions >= 1 else { throw KafkaError.configuration(property: "partitions", detail: "topic \(name) needs at least 1 partition") }
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "create topic \(name)") }
    }
}
