#!/usr/bin/env python3
"""fs benchmark harness: every workload, fs side by side with its peer, as ratios.

    make bench          # release build, 1M orders, 3 runs, rewrites BENCHMARKS.md
    make bench-smoke    # debug build, tiny data, 1 run: outputs must agree (CI)

    bench/run.py --rows N --runs R --bin-dir .build/release [--report BENCHMARKS.md]
    bench/run.py --rows N --offline-rows 10000000 --only offline --bin-dir .build/release
    bench/run.py --smoke --bin-dir .build/debug

Exit status 0 when every built workload ran and its outputs agreed, 1 when a command failed or
outputs differed, 64 on bad flags. Generated data is cached under bench-data/ by (rows, seed,
generator version); scratch outputs go to .bench/.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate import GENERATOR_VERSION  # noqa: E402
import harness  # noqa: E402
from harness import BenchError  # noqa: E402
from report import machine, markdown, text_table  # noqa: E402
from workloads import WORKLOADS, Context, Row  # noqa: E402

REPO = os.path.dirname(HERE)
SMOKE_ROWS = 2000


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def dataset(rows: int, seed: int, root: str, tables_only: bool = False) -> tuple[str, dict]:
    """The generated data for (rows, seed), generating it once into `root` and reusing it after.
    `tables_only` (the offline workload's own dataset) accepts and generates a directory without
    the NDJSON; a full request regenerates a tables-only directory."""
    path = os.path.join(root, f"orders-{rows}-s{seed}-v{GENERATOR_VERSION}")
    manifest_path = os.path.join(path, "manifest.json")
    reusable = False
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            reusable = tables_only or not json.load(f).get("tables_only", False)
    if not reusable:
        shutil.rmtree(path, ignore_errors=True)
        log(f"generating {rows} orders into {path}" + (" (tables only)" if tables_only else ""))
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--rows", str(rows),
                        "--seed", str(seed), "--out", path] + (["--tables-only"] if tables_only else []),
                       check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    with open(manifest_path) as f:
        return path, json.load(f)


def merged_report(sidecar: str, rows: list, commands: list[str], only: set[str]) -> tuple[list, list[str]]:
    """`--only W --report F`: the rows of F's last full run (F's .json sidecar), with those of
    the workloads just measured replaced, in WORKLOADS order; both runs' commands are listed."""
    try:
        with open(sidecar) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return rows, commands
    kept = [Row(**r) for r in old.get("rows", []) if r.get("source") not in only]
    order = {name: i for i, (name, _) in enumerate(WORKLOADS)}
    merged = sorted(kept + rows, key=lambda r: order.get(r.source, len(order)))
    previous = [c for c in old.get("commands", []) if c not in commands]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return merged, previous + [f"# {stamp}: re-measured {', '.join(sorted(only))}:"] + commands


def main() -> int:
    ap = argparse.ArgumentParser(description="fs benchmark harness")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--offline-rows", type=int,
                    help="orders of the offline workload's own dataset (default: --rows); the issue's "
                         "reference workload is 10000000")
    ap.add_argument("--smoke", action="store_true",
                    help=f"tiny data ({SMOKE_ROWS} rows), 1 run: checks outputs agree, no report")
    ap.add_argument("--bin-dir", required=True, help="directory of the built fs executables")
    ap.add_argument("--data-root", default=os.path.join(REPO, "bench-data"))
    ap.add_argument("--work-dir", default=os.path.join(REPO, ".bench"))
    ap.add_argument("--only", action="append", choices=[n for n, _ in WORKLOADS],
                    help="run only this workload (repeatable)")
    ap.add_argument("--report", help="rewrite this Markdown file with the results")
    ap.add_argument("--command", default="", help="the command line to record in the report")
    try:
        args = ap.parse_args()
    except SystemExit as e:
        return 64 if e.code else 0
    if args.smoke:
        args.rows, args.runs = SMOKE_ROWS, 1
    if args.smoke or args.offline_rows is None:
        args.offline_rows = args.rows
    if args.rows < 1 or args.runs < 1 or args.offline_rows < 1:
        log("bench: --rows, --offline-rows and --runs must be at least 1")
        return 64
    if not os.access(os.path.join(args.bin_dir, "fs-bench"), os.X_OK):
        log(f"bench: {args.bin_dir}/fs-bench not found: build first (make build / make release)")
        return 64

    started = time.monotonic()
    data_dir, manifest = dataset(args.rows, args.seed, args.data_root)
    work = os.path.join(args.work_dir, "smoke" if args.smoke else f"run-{args.rows}")
    # The previous invocation's outputs go to the trash too, emptied after the last measurement
    # (`harness.set_trash`: deleting thousands of files just before a run slows its file creation).
    harness.set_trash(os.path.join(args.work_dir, ".trash"))
    harness.fresh(work)
    os.makedirs(work)
    ctx = Context(bin_dir=os.path.abspath(args.bin_dir), data_dir=data_dir, work_dir=work,
                  runs=args.runs, log=log, smoke=args.smoke)

    rows, failures = [], []
    for name, workload in WORKLOADS:
        if args.only and name not in args.only:
            continue
        run_ctx = ctx
        if name == "offline" and args.offline_rows != args.rows:
            offline_dir, _ = dataset(args.offline_rows, args.seed, args.data_root, tables_only=True)
            run_ctx = dataclasses.replace(ctx, data_dir=offline_dir)
        try:
            produced = workload(run_ctx)
            for r in produced:
                r.source = name
            rows += produced
        except (BenchError, subprocess.TimeoutExpired) as e:
            failures.append(f"{name}: {e}")
            log(f"FAILED {name}: {e}")
            if name == "table-write":  # the scans read table-write's files
                break

    harness.empty_trash()
    kind = "bench-smoke" if args.smoke else "bench"
    offline_rows = f" (offline workload: {args.offline_rows})" if args.offline_rows != args.rows else ""
    print(f"\n{kind}: {args.rows} orders{offline_rows}, {args.runs} run(s) per side, "
          f"bin {args.bin_dir}, {time.monotonic() - started:.0f} s")
    print(text_table(rows))
    if failures:
        print(f"\n{kind}: FAILED ({len(failures)}):\n  " + "\n  ".join(failures))
        return 1
    if args.report:
        commands = [args.command or f"bench/run.py --rows {args.rows} --offline-rows {args.offline_rows} --runs {args.runs}",
                    f"# data: python bench/generate.py --rows {args.rows} --seed {args.seed} --out <dir>"]
        if args.offline_rows != args.rows:
            commands.append(f"# offline data: python bench/generate.py --rows {args.offline_rows} --seed {args.seed} --out <dir>")
        notes = ["pyarrow runs with its defaults (multi-threaded reads and writes). fs's writer "
                 "encodes on the caller's thread and compresses pages on background queues "
                 "(ParquetWriterOptions.compressionWorkers, default 2); its reader decompresses "
                 "pages on a second thread, ahead of decoding.",
                 "fs's writers fsync every file they finish (and the table's log); pyarrow's do not.",
                 "Timed sections: write = encoding + compression + file write of data already in "
                 "memory; scan = open, read, decompress and decode every column into memory.",
                 "Partitioned write: fs's TableWriter copies one partition out of the batch at a time "
                 "and finishes the largest open files early once they hold more than "
                 "TableWriterOptions.maxBufferedBytes (default 512 MiB) of rows; without that bound "
                 "(`fs-bench table-create --max-buffered-mib 0`) the same write peaks at about 4.7 GiB.",
                 "In-memory workloads (issue 3): the peer is a hand-written Swift loop in the same "
                 "binary (`fs-bench <workload> --impl hand`); input generation is untimed; every "
                 "output batch is consumed (summed) inside the timed loop on both sides."]
        sidecar = os.path.splitext(args.report)[0] + ".json"
        if args.only:
            rows, commands = merged_report(sidecar, rows, commands, set(args.only))
        with open(sidecar, "w") as f:
            json.dump({"rows": [dataclasses.asdict(r) for r in rows], "commands": commands}, f, indent=1)
            f.write("\n")
        with open(args.report, "w") as f:
            f.write(markdown(rows, machine(), manifest, commands, args.runs, notes))
        print(f"\n{kind}: wrote {args.report}")
    print(f"{kind}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
