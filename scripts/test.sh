#!/usr/bin/env bash
# Run the whole test suite, after the same set-up as the demo.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k portfolio`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$MLDEBT_ROOT"
exec python -m pytest "$@"
