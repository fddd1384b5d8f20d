import FSJobs

// fs-table: the operator's tool for Delta tables (and the interop suite's reader/writer).
JobMain.run(TableCommand.self)
