#!/usr/bin/env bash
# Installs the dependencies, then builds with ASan+UBSan and runs every test (make check).
# Extra arguments select tests by name: scripts/test.sh config rmtree
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)" check T="$*"
