"""Temporary redis-server, PostgreSQL 15 and MariaDB servers for the publish benchmark.

The same recipe as the Swift tests' FSTestSupport.StoreServers: a free loopback port (bind port
0 first), a temporary directory, a password-authenticated user `fs` (database `fs`), readiness
by polling a real connection, stopped by pid with the directory removed. PostgreSQL runs as the
`postgres` user (setpriv) when we are root. fsync is off: the benchmark measures the publish
path, not the disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("FS_PG_BIN", "/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(proc: subprocess.Popen, probe, what: str, log_path: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} during start-up:\n{_tail(log_path)}")
        if probe():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout} s:\n{_tail(log_path)}")


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read()[-3000:].decode(errors="replace")
    except OSError:
        return "(no log)"


def _ok(argv: list[str], env: dict | None = None) -> bool:
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})}).returncode == 0


class Server:
    def __init__(self, name: str, proc: subprocess.Popen, directory: str, stop_signal: int):
        self.name, self.proc, self.directory, self.stop_signal = name, proc, directory, stop_signal

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


class Redis(Server):
    @classmethod
    def start(cls) -> "Redis":
        d = tempfile.mkdtemp(prefix="fs-bench-redis-")
        port, password = free_port(), "pw-" + secrets.token_hex(10)
        log = os.path.join(d, "redis.log")
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", d, "--requirepass", password],
                                stdout=open(log, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        s = cls("redis-server", proc, d, signal.SIGTERM)
        s.port, s.password = port, password
        s.env = {"FS_REDIS_PASSWORD": password, "REDISCLI_AUTH": password}
        s.url = f"redis://127.0.0.1:{port}/0"
        _wait(proc, lambda: _ok(["redis-cli", "-p", str(port), "PING"], s.env), "redis-server", log)
        return s

    def cli(self, *args: str, stdin=None) -> str:
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], check=True, capture_output=True,
                              text=True, env={**os.environ, **self.env}, stdin=stdin).stdout


class Postgres(Server):
    @classmethod
    def start(cls) -> "Postgres":
        d = tempfile.mkdtemp(prefix="fs-bench-postgres-")
        as_pg = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] if os.geteuid() == 0 else []
        if as_pg:
            shutil.chown(d, "postgres", "postgres")
        data, port, password = os.path.join(d, "data"), free_port(), "pw-" + secrets.token_hex(10)
        subprocess.run(as_pg + [f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", "--auth-local=trust",
                                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = os.path.join(d, "postgres.log")
        proc = subprocess.Popen(as_pg + [f"{PG_BIN}/postgres", "-D", data, "-k", d, "-h", "127.0.0.1", "-p", str(port),
                                         "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                                stdout=open(log, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        s = cls("postgres", proc, d, signal.SIGINT)
        s.port, s.password, s.socket_dir = port, password, d
        s.env = {"PGPASSWORD": password}
        s.url = f"postgresql://fs@127.0.0.1:{port}/fs"
        _wait(proc, lambda: _ok([f"{PG_BIN}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]), "postgres", log)
        s.psql(f"CREATE ROLE fs LOGIN PASSWORD '{password}'", db="postgres")
        s.psql("CREATE DATABASE fs OWNER fs", db="postgres")
        return s

    def psql(self, sql: str, db: str = "fs") -> str:
        return subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres",
                               "-d", db, "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()


class MariaDB(Server):
    @classmethod
    def start(cls) -> "MariaDB":
        d = tempfile.mkdtemp(prefix="fs-bench-mariadb-")
        data, port, password = os.path.join(d, "data"), free_port(), "pw-" + secrets.token_hex(10)
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
                        "--skip-test-db", *user], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log, sock = os.path.join(d, "mariadbd.log"), os.path.join(d, "mariadbd.sock")
        proc = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
                                 "--bind-address=127.0.0.1", f"--log-error={log}", "--skip-log-bin", "--innodb-buffer-pool-size=256M",
                                 "--innodb-flush-log-at-trx-commit=2", "--local-infile=1", *user],
                                stdout=open(log, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        s = cls("mariadbd", proc, d, signal.SIGTERM)
        s.port, s.password, s.socket = port, password, sock
        s.env = {"FS_MYSQL_PASSWORD": password}
        _wait(proc, lambda: _ok(["mariadb-admin", "--no-defaults", "-S", sock, "-u", "root", "ping"]), "mariadbd", log)
        s.sql(f"CREATE USER 'fs'@'%' IDENTIFIED BY '{password}'", db=None)
        s.sql("CREATE DATABASE fs", db=None)
        s.sql("GRANT ALL ON *.* TO 'fs'@'%'", db=None)
        return s

    def sql(self, statement: str, db: str | None = "fs") -> str:
        argv = ["mariadb", "--no-defaults", "-S", self.socket, "-u", "root", "-N", "-B", "-e", statement]
        if db:
            argv.append(db)
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()
