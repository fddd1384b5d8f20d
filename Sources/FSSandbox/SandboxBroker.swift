import FSCore
import FSJobs
import FSStreams
import FSKafka

#if canImport(Glibc)
import Glibc
#endif

/// `fs-sandbox broker`: librdkafka's mock cluster with the four `de-*` topics, until SIGTERM/SIGINT.
public struct SandboxBroker {
    public var partitions: Int32
    public var brokers: Int
    public var bootstrapFile: String?

    public init(partitions: Int32 = 4, brokers: Int = 1, bootstrapFile: String? = nil) {
        self.partitions = partitions
        self.brokers = brokers
        self.bootstrapFile = bootstrapFile
    }

    /// Starts the cluster, creates the topics, publishes the bootstrap address (file replaced
    /// atomically, so a watcher never reads half of it; then stdout), and blocks
    /// until SIGTERM or SIGINT. Returns the signal received.
    ///
    /// The signals are blocked BEFORE the cluster starts, so librdkafka's threads inherit the
    /// mask and `sigwait` on this thread is the only receiver.
    public func run(announce: (String) -> Void) throws -> Int32 {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let cluster = try MockKafkaCluster(brokers: brokers)
        for stream in StreamType.allCases {
            try cluster.createTopic(stream.defaultTopic, partitions: partitions)
        }
        let bootstrap = cluster.bootstrapServers
        if let bootstrapFile {
            try FileSystem.replaceFile(bootstrapFile, Array((bootstrap + "\n").utf8))
        }
        announce(bootstrap)
        var received: Int32 = 0
        sigwait(&signals, &received)
        withExtendedLifetime(cluster) {}
        return received
    }
}
