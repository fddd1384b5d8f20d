#!/usr/bin/env python3
"""The ingest workload's peer: kcat's raw consume of a whole topic, counted.

    kcat_consume.py --kcat /usr/bin/kcat --brokers HOST:PORT --topic T

Runs `kcat -C -e -q -o beginning -f .` (one byte of output per message, so the pipe costs
nothing next to the consume) and prints {"messages": n, "seconds": wall time of kcat}.
kcat keeps its default consumer settings: it is the reference "raw consume" rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kcat", required=True)
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    args = ap.parse_args()
    argv = [args.kcat, "-C", "-e", "-q", "-o", "beginning", "-b", args.brokers, "-t", args.topic, "-f", "."]
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    count = 0
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 16):
        count += len(chunk)
    status = proc.wait()
    seconds = time.monotonic() - started
    if status != 0:
        print(f"kcat exited {status}: {' '.join(argv)}", file=sys.stderr)
        return 1
    print(json.dumps({"messages": count, "seconds": round(seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
