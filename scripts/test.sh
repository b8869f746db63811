#!/usr/bin/env bash
# Run the whole test suite, after the same set-up as the demo plus the
# system packages only the tests need (real servers and tools they drive).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k portfolio`.
set -euo pipefail
TEST_APT="${TEST_APT:-prometheus prometheus-alertmanager poppler-utils chromium chromium-driver}"
EXTRA_APT="${EXTRA_APT:-} $TEST_APT"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$MLDEBT_ROOT"
exec python -m pytest "$@"
