#!/usr/bin/env bash
# Runs the end-to-end shell tests (tests/e2e/NN_*.sh, or the ones named) one after another and
# reports each; exit 1 if any failed. Each test uses its own temporary FS_HOME, kept on failure.
# FS_BIN_DIR selects the binaries (default .build/debug).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if (($#)); then tests=("$@"); else tests=("$here"/[0-9][0-9]_*.sh); fi
failed=()
for t in "${tests[@]}"; do
    name="$(basename "$t" .sh)"
    start=$SECONDS
    if bash "$t"; then
        echo "e2e: PASS $name ($((SECONDS - start)) s)"
    else
        echo "e2e: FAIL $name ($((SECONDS - start)) s)"
        failed+=("$name")
    fi
done
if ((${#failed[@]})); then echo "e2e: ${#failed[@]} of ${#tests[@]} failed: ${failed[*]}"; exit 1; fi
echo "e2e: all ${#tests[@]} passed"
