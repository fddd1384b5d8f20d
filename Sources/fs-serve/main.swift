import FSJobs
import FSServe

// fs-serve: flags → ServeConfig (validated once) → ServeJob(config).run(), until SIGTERM drains.
JobMain.run(ServeCommand.self)
