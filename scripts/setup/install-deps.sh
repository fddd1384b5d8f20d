#!/usr/bin/env bash
# Installs the Debian packages fs needs to build and test, and nothing when they are all present.
#
#   scripts/setup/install-deps.sh            build + test packages (make deps)
#   scripts/setup/install-deps.sh --java     also a Java 17 runtime when `java` is missing (PySpark peer)
#
# Idempotent: packages are checked with dpkg-query first, so a machine that has everything never
# runs apt-get (no network, no root needed). Uses sudo only when not already root.
set -euo pipefail

# Build: the C libraries behind the CRdKafka, CZstd, CZlib and store-client modules. Test: the
# servers the publisher tests start on loopback (redis, PostgreSQL 15, MariaDB), sqlite3 and
# kcat to read stores and topics back, wrk for the serving benchmark.
packages=(librdkafka-dev libzstd-dev zlib1g-dev pkg-config kcat time python3-venv
          libsqlite3-dev libpq-dev libmariadb-dev libhiredis-dev
          sqlite3 redis-server postgresql-15 mariadb-server wrk)
if [[ "${1:-}" == "--java" ]]; then
    if command -v java >/dev/null 2>&1; then
        packages=()
    else
        packages=(openjdk-17-jre-headless)
    fi
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deps: all present (${packages[*]:-java})"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "deps: missing ${missing[*]} and not root, no sudo: install them as root" >&2
    exit 69
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
