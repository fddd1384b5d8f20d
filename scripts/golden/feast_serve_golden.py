#!/usr/bin/env python3
"""Records Tests/FSServeTests/Goldens/feast-0.67-get-online-features.json: what `feast serve`
answers to POST /get-online-features for customers [1, 2, 99] and the three bench features,
over the first 10 vectors of bench/workloads_serve.py's generator (99 was never published).

FeastGoldenTests serves the same vectors from a SQLite store and checks fs-serve's answer
against this file: same JSON shape, same names, values, statuses and timestamps. Needs `feast`
(python/requirements-bench.txt):

    $PYTHON scripts/golden/feast_serve_golden.py [output-file]
"""
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))
import workloads_serve as ws  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "Tests/FSServeTests/Goldens/feast-0.67-get-online-features.json")
    rows = ws.vectors(10)
    work = tempfile.mkdtemp(prefix="feast-golden-")
    parquet = os.path.join(work, "vectors.parquet")
    pq.write_table(pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.int64()),
        "window_end": pa.array([datetime.fromtimestamp(r[1], timezone.utc) for r in rows], pa.timestamp("us", tz="UTC")),
        ws.FEATURES[0]: [r[2] for r in rows],
        ws.FEATURES[1]: pa.array([r[3] for r in rows], pa.int64()),
        ws.FEATURES[2]: [r[4] for r in rows],
    }), parquet)
    repo = os.path.join(work, "repo")
    ws.prepare_feast(repo, parquet, print)
    port = ws.free_port()
    proc = subprocess.Popen([*ws.feast_cli(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                            cwd=repo, stdin=subprocess.DEVNULL)
    try:
        ws.wait_ready(f"http://127.0.0.1:{port}/health", proc)
        response = ws.post(port, [1, 2, 99])
    finally:
        ws.stop(proc)
    with open(out, "w") as f:
        json.dump(response, f, indent=2)
        f.write("\n")
    print(f"wrote {out}: vectors {rows[:2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
