import FSJobs

// fs-agg-offline: the original's flags → OfflineConfig (validated once) → OfflineJob(config).run().
JobMain.run(OfflineCommand.self)
