import FSCore
import Logging

/// fs-ingest under `JobMain`: a streaming job (the first signal commits the batch in flight),
/// with one malloc arena whose freed memory is kept for the next batch (see `MallocTuning`).
extension IngestJob: RunnableJob {
    public static var finishesBatchOnSignal: Bool { true }

    public convenience init(config: IngestConfig, logger: Logger) {
        self.init(config: config, clock: SystemWallClock(), logger: logger)
    }

    public static func prepareProcess(config: IngestConfig, logger: Logger) {
        MallocTuning.reuseFreedMemory()
    }
}
