#!/usr/bin/env bash
# Run every benchmark in bench/ (each bench_*.py script with its default
# settings) and print its figures; or only those named:
#   bash bench/run.sh                 # all of them
#   bash bench/run.sh scoring report  # bench_scoring.py and bench_report.py
# The web benchmark's load generator (wrk) is installed with the rest.
set -euo pipefail
EXTRA_APT="${EXTRA_APT:-} wrk"
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/bootstrap.sh"
cd "$MLDEBT_ROOT"
if [ "$#" -eq 0 ]; then
    scripts=(bench/bench_*.py)
else
    scripts=()
    for name in "$@"; do
        [ -f "bench/bench_$name.py" ] || { echo "no benchmark bench/bench_$name.py" >&2; exit 2; }
        scripts+=("bench/bench_$name.py")
    done
fi
for script in "${scripts[@]}"; do
    echo "== $script"
    python "$script"
done
