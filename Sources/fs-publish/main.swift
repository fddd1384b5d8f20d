import FSJobs
