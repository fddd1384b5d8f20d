import FSJobs

// fs-ingest: the original's flags → IngestConfig (validated once) → IngestJob(config).run().
JobMain.run(IngestCommand.self)
