#!/usr/bin/env python3
"""The Kafka publisher workload's peer: kcat's bulk produce of the same keyed JSON messages.

    kcat_produce.py --kcat /usr/bin/kcat --brokers HOST:PORT --topic T --file F [--header NAME=VALUE ...] [--idempotent]

F holds one `key<TAB>value` line per message (the rows fs-publish wrote, exported once). Runs
`kcat -P -K '\\t' -z zstd -l F` (zstd as fs's producer uses), with `-H NAME=VALUE` per header and
`-X enable.idempotence=true` when asked — the same message bytes and delivery guarantee as
fs-publish's producer — and prints {"messages": lines of F, "seconds": wall time of kcat}; kcat
returns once every message is delivered.
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
    ap.add_argument("--file", required=True)
    ap.add_argument("--header", action="append", default=[], help="NAME=VALUE, sent with every message (kcat -H)")
    ap.add_argument("--idempotent", action="store_true", help="enable.idempotence=true, as fs-publish's producer")
    args = ap.parse_args()
    with open(args.file, "rb") as f:
        messages = sum(1 for _ in f)
    argv = [args.kcat, "-P", "-q", "-b", args.brokers, "-t", args.topic, "-K", "\t", "-z", "zstd"]
    for h in args.header:
        argv += ["-H", h]
    if args.idempotent:
        argv += ["-X", "enable.idempotence=true"]
    argv += ["-l", args.file]
    started = time.monotonic()
    status = subprocess.run(argv, stdin=subprocess.DEVNULL).returncode
    seconds = time.monotonic() - started
    if status != 0:
        print(f"kcat exited {status}: {' '.join(argv)}", file=sys.stderr)
        return 1
    print(json.dumps({"messages": messages, "seconds": round(seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
