#!/usr/bin/env bash
# The main job on the bundled sample portfolio: build the sample projects as
# git repositories with a year of history, collect and score every project at
# the end of each past quarter and today, then print every scorecard.
# Safe to run again: the demo folder and its database are rebuilt each time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$MLDEBT_ROOT"

OUT="${MLDEBT_DEMO_DIR:-$MLDEBT_ROOT/demo}"
export MLDEBT_DB="$OUT/mldebt.db"
mkdir -p "$OUT"
rm -f "$MLDEBT_DB" "$MLDEBT_DB-wal" "$MLDEBT_DB-shm"

portfolio="$(python scripts/samples.py sample_projects "$OUT")"
for quarter_end in 2025-12-31 2026-03-31 2026-06-30 2026-09-30; do
    echo "== the portfolio as it was on $quarter_end"
    mldebt collect "$portfolio" --as-of "$quarter_end"
done
echo "== the portfolio today"
mldebt collect "$portfolio"
echo
mldebt show
echo
mldebt report -o "$OUT/report.pdf"
mldebt export backlog --format markdown -o "$OUT/backlog.md"
mldebt export backlog --format jira -o "$OUT/backlog-jira.csv"
echo "Report: $OUT/report.pdf  Backlog: $OUT/backlog.md, $OUT/backlog-jira.csv"
echo "Database: $MLDEBT_DB (open it with: MLDEBT_DB=$MLDEBT_DB mldebt show PROJECT)"
echo
echo "== the web scorecard: http://127.0.0.1:${MLDEBT_PORT:-5000}/ (Ctrl-C stops it)"
exec mldebt serve --host 127.0.0.1 --port "${MLDEBT_PORT:-5000}"
