import FSJobs
import FSSandbox

// fs-sandbox: a local stand-in for iFood's Kafka cluster and data (broker, generate, produce).
JobMain.run(SandboxCommand.self)
