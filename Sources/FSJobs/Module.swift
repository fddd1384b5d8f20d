/// Module `FSJobs`: see Sources/README.md.
import FSCore
