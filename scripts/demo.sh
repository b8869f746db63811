#!/usr/bin/env bash
# The main job on the bundled sample portfolio: build the sample projects as
# git repositories with a year of history, collect and score every project at
# the end of each past quarter and today, then print every scorecard.
# Safe to run again: the demo folder and its database are rebuilt each time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$MLDEBT_ROOT"

OUT="${MLDEBT_DEMO_DIR:-$MLDEBT_ROOT/demo}"
case "$OUT" in "$MLDEBT_ROOT"/*) OUT="${OUT#"$MLDEBT_ROOT"/}" ;; esac # shorter lines to read
export MLDEBT_DB="$OUT/mldebt.db"
mkdir -p "$OUT"
rm -f "$MLDEBT_DB" "$MLDEBT_DB-wal" "$MLDEBT_DB-shm"

portfolio="$(python scripts/samples.py sample_projects "$OUT")"
PORT="${MLDEBT_PORT:-8000}"
export MLDEBT_BASE_URL="${MLDEBT_BASE_URL:-http://127.0.0.1:$PORT}"

# One line per collection; the full output is in $OUT/collect.log (shown whole if a run fails).
: >"$OUT/collect.log"
collect_quietly() {
    local label="$1" run="$OUT/collect.run"; shift
    local status=0
    mldebt collect "$portfolio" "$@" >"$run" 2>&1 || status=$?
    cat "$run" >>"$OUT/collect.log"
    if [ "$status" -ne 0 ]; then
        cat "$run" >&2
        return "$status"
    fi
    echo "scanned the sample portfolio $label: $(grep -c '^scored' "$run") projects scored"
}
for quarter_end in 2025-12-31 2026-03-31 2026-06-30 2026-09-30; do
    collect_quietly "as it was on $quarter_end" --as-of "$quarter_end"
done
collect_quietly "as it is today"
echo
mldebt show
echo
mldebt report -o "$OUT/report.pdf"
mldebt export backlog --format markdown -o "$OUT/backlog.md"
mldebt export backlog --format jira -o "$OUT/backlog-jira.csv"
echo "Database: $MLDEBT_DB (MLDEBT_DB=$MLDEBT_DB mldebt show PROJECT)"
echo
echo "The web scorecard: $MLDEBT_BASE_URL/  (press Ctrl-C to stop it)"
exec mldebt serve --host 127.0.0.1 --port "$PORT"
