#!/usr/bin/env bash
# Run every benchmark in bench/ (each bench_*.py script) and print its figures.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/bootstrap.sh"
cd "$MLDEBT_ROOT"
for script in bench/bench_*.py; do
    echo "== $script"
    python "$script" "$@"
done
