import FSJobs

// fs-agg-online: the original's flags → OnlineConfig (validated once) → OnlineJob(config).run().
JobMain.run(OnlineCommand.self)
