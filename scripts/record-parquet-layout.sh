#!/bin/sh
# Rewrites the Parquet layout goldens (Tests/FSParquetTests/Fixtures/layout/*.txt) from the
# current writer, then runs the layout tests again to show they pass. Review the diff before
# committing: a changed golden means the bytes fs writes changed.
set -e
cd "$(dirname "$0")/.."
SCRATCH="${SCRATCH:-.build-dev}"
FS_RECORD=1 swift test --scratch-path "$SCRATCH" --filter LayoutTests >/dev/null 2>&1 || true
swift test --scratch-path "$SCRATCH" --filter LayoutTests
git --no-pager diff --stat -- Tests/FSParquetTests/Fixtures/layout
