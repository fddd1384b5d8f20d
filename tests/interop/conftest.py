"""Fixtures of the interop suite: our built tools and the tables we write once per session."""

from __future__ import annotations

import os

import pytest

from interop_support import REPO, FsTools

# (id, rows, commits, checkpoint interval): one single-commit table, and one whose log has
# checkpoints so Delta readers start from a Parquet checkpoint instead of the JSON commits.
SAMPLE_TABLES = [
    ("one-commit", 600, 1, None),
    ("checkpointed", 1200, 24, 10),
]


@pytest.fixture(scope="session")
def fs() -> FsTools:
    bin_dir = os.environ.get("FS_BIN_DIR", os.path.join(REPO, ".build", "debug"))
    tools = FsTools(os.path.abspath(bin_dir))
    for name in ("fs-table", "fs-bench", "fs-publish"):
        if not os.access(tools.path(name), os.X_OK):
            pytest.fail(f"{tools.path(name)} not found: build first (`make build`) or set FS_BIN_DIR",
                        pytrace=False)
    return tools


@pytest.fixture(scope="session", params=SAMPLE_TABLES, ids=[t[0] for t in SAMPLE_TABLES])
def sample_table(request, fs: FsTools, tmp_path_factory) -> str:
    """A table written by `fs-table write-sample`: every type, fs_year/fs_month/fs_day partitions."""
    name, rows, commits, interval = request.param
    table = str(tmp_path_factory.mktemp(name) / "table")
    fs.write_sample(table, rows=rows, commits=commits, checkpoint_interval=interval)
    return table


@pytest.fixture(scope="session")
def checkpointed_table(fs: FsTools, tmp_path_factory) -> str:
    name, rows, commits, interval = SAMPLE_TABLES[1]
    table = str(tmp_path_factory.mktemp("ckpt") / "table")
    fs.write_sample(table, rows=rows, commits=commits, checkpoint_interval=interval)
    return table
