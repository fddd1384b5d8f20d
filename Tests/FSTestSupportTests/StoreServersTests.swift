#if canImport(Glibc)
import Glibc
#endif
import FSCore
import FSTestSupport
import Testing

/// The harness the publisher and server suites stand on: each server starts on a free port,
/// accepts the password it was given, refuses a wrong one, and is gone (pid and directory)
/// after `stop()`.
@Suite struct StoreServersTests {
    @Test func freeLoopbackPortsAreDistinctAndBindable() throws {
        let a = try freeLoopbackPort(), b = try freeLoopbackPort()
        #expect(a > 0 && a < 65536)
        #expect(b > 0 && b < 65536)
    }

    @Test func childProcessReportsExitStatusAndSignals() throws {
        #expect(try ChildProcess.run("/bin/sh", ["-c", "exit 3"]).status == 3)
        #expect(try ChildProcess.run("/bin/sh", ["-c", "echo hi"]).output == "hi\n")
        let sleeper = try ChildProcess.spawn("/bin/sleep", ["30"])
        #expect(sleeper.exitStatusIfEnded() == nil)
        #expect(sleeper.stop(signal: SIGTERM) == 128 + SIGTERM)
    }

    @Test func redisServerRequiresItsPasswordAndStopsByPid() throws {
        let server = try RedisServer.start()
        #expect(try server.cli(["SET", "k", "v"]) == "OK")
        #expect(try server.cli(["GET", "k"]) == "v")
        let noAuth = try ChildProcess.run("redis-cli", ["-h", "127.0.0.1", "-p", String(server.port), "GET", "k"])
        #expect(noAuth.output.contains("NOAUTH"))
        let pid = server.pid
        server.stop()
        #expect(kill(pid, 0) != 0)
    }

    @Test func postgresServerAuthenticatesRoleFsOverTCP() throws {
        let server = try StoreServers.postgres()
        #expect(try server.psql("SELECT current_database()") == "fs")
        let ok = try ChildProcess.run(PostgresServer.binDirectory + "/psql", ["-X", "-At", server.url, "-c", "SELECT current_user"], environment: server.environment)
        #expect(ok.status == 0)
        #expect(ok.output == "fs\n")
        let bad = try ChildProcess.run(PostgresServer.binDirectory + "/psql", ["-X", "-At", server.url, "-c", "SELECT 1"], environment: ["PGPASSWORD": "wrong"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("password authentication failed"))
    }

    @Test func mariadbServerAuthenticatesUserFsOverTCP() throws {
        let server = try StoreServers.mariadb()
        let tcp = ["--no-defaults", "-h", "127.0.0.1", "-P", String(server.port), "-u", server.user, "-N", "-B"]
        let ok = try ChildProcess.run("mariadb", tcp + ["-p" + server.password, "-e", "SELECT DATABASE()", "fs"])
        #expect(ok.status == 0)
        #expect(ok.output == "fs\n")
        let bad = try ChildProcess.run("mariadb", tcp + ["-pwrong", "-e", "SELECT 1"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("Access denied"))
    }

    @Test func sharedServersAreStartedOnce() throws {
        let a = try StoreServers.redis(), b = try StoreServers.redis()
        #expect(a === b)
        #expect(try a.cli(["PING"]) == "PONG")
    }
}
