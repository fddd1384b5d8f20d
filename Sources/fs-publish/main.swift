import FSJobs
import FSPublish

// fs-publish: the original's flags → PublishConfig (validated once) → PublishJob(config).run().
JobMain.run(PublishCommand.self)
