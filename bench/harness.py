"""Measuring one command: wall time, peak RSS (GNU time), and the JSON result it prints.

Every workload side (fs or a peer) is one process that prints a single JSON object on stdout
(its in-process timing and the figures used to check equality). The harness wraps it in
`/usr/bin/time -f '%e %M %U %S'` to get the process wall time and peak resident set size, so both
sides are measured the same way whatever language they are written in. GNU time also gives the
process's user + system CPU seconds, the figure that still means something on a loaded machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from typing import Callable

GNU_TIME = "/usr/bin/time"


class BenchError(Exception):
    """A workload could not be measured or its outputs disagree: the benchmark fails."""


@dataclasses.dataclass
class Run:
    """One measured process."""
    wall_s: float          # process wall time (GNU time %e)
    rss_kb: int            # peak resident set size (GNU time %M)
    result: dict           # the JSON object the process printed
    cpu_s: float = 0.0     # user + system CPU seconds of the whole process (GNU time %U + %S)


@dataclasses.dataclass
class Side:
    """All runs of one implementation (fs or a peer) of one workload."""
    name: str
    runs: list[Run] = dataclasses.field(default_factory=list)

    def median(self, key: str) -> float:
        """Median of the in-process `key` (e.g. "seconds") over the runs."""
        return statistics.median(float(r.result[key]) for r in self.runs)

    @property
    def median_wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def median_cpu_s(self) -> float:
        """Median user + system CPU seconds of the whole process: on a loaded machine wall
        times mostly measure the other processes, CPU seconds much less so."""
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def peak_rss_kb(self) -> int:
        return max(r.rss_kb for r in self.runs)


def measure(argv: list[str], env: dict | None = None, timeout_s: float = 3600) -> Run:
    """Runs `argv` under GNU time; returns its timing, peak RSS and the JSON on its last stdout line."""
    if not os.access(GNU_TIME, os.X_OK):
        raise BenchError(f"{GNU_TIME} missing: run `make deps` (Debian package `time`)")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        cmd = [GNU_TIME, "-f", "%e %M %U %S", "-o", timing.name, *argv]
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
        if proc.returncode != 0:
            raise BenchError(f"command failed (exit {proc.returncode}): {shlex.join(argv)}\n"
                             f"{proc.stderr.strip()[-2000:]}")
        fields = timing.read().split()
    try:
        wall_s, rss_kb, cpu_s = float(fields[-4]), int(fields[-3]), float(fields[-2]) + float(fields[-1])
    except (IndexError, ValueError):
        wall_s, rss_kb, cpu_s = elapsed, 0, 0.0
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if not lines:
        raise BenchError(f"no JSON result on stdout: {shlex.join(argv)}")
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        raise BenchError(f"bad JSON result ({e}) from {shlex.join(argv)}: {lines[-1][:200]}")
    return Run(wall_s=wall_s, rss_kb=rss_kb, result=result, cpu_s=cpu_s)


def alternate(sides: dict[str, Callable[[int], list[str]]], runs: int, log) -> dict[str, Side]:
    """Runs every side `runs` times, interleaved and rotating who goes first each round,
    so drifting machine load (other processes, page cache, thermal) hits all sides alike.
    Each side is a function of the run index giving the command, called just before the run
    (it may clear the previous run's output)."""
    names = list(sides)
    out = {n: Side(n) for n in names}
    for i in range(runs):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            run = measure(sides[name](i))
            out[name].runs.append(run)
            log(f"  run {i + 1}/{runs} {name}: {run.result.get('seconds', run.wall_s):.3f} s, "
                f"{run.rss_kb / 1024:.0f} MiB")
    return out


# Where `fresh` moves old outputs while the bench measures (`set_trash`); emptied at the end.
_trash: str | None = None


def set_trash(directory: str) -> None:
    """Makes `fresh` move old outputs into `directory` (same file system) instead of deleting them.

    Why: this host's root file system is ext4 without a journal, where creating an inode skips,
    one by one, every inode freed in the last 60 s (360 s while its inode table block is not yet
    written back; `recently_deleted` in fs/ext4/ialloc.c). Deleting a run's output
    just before the next run made that run pay for the clean-up: ~0.08 s of fs-agg-online's ~1 s
    on a quiet host, ~0.3 s of system time while another process deleted files too
    (bench/ANALYSIS.md, issue 15). A rename frees nothing."""
    global _trash
    _trash = directory
    os.makedirs(directory, exist_ok=True)


def empty_trash() -> None:
    """Deletes what `fresh` moved aside (after the last measurement)."""
    if _trash is not None:
        shutil.rmtree(_trash, ignore_errors=True)


def fresh(path: str) -> str:
    """Clears `path` (file or directory) so a writer that refuses to overwrite can run again:
    moved into the trash when there is one (`set_trash`), deleted otherwise."""
    if not os.path.lexists(path):
        return path
    if _trash is not None:
        try:
            os.rename(path, tempfile.mkdtemp(dir=_trash) + "/" + os.path.basename(path))
            return path
        except OSError:
            pass  # another file system: delete below
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)
    return path
