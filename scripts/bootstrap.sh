#!/usr/bin/env bash
# Set-up shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
#
# Installs the Debian/Ubuntu packages mldebt needs when they are missing, then
# creates or reuses the virtual environment .venv and installs the locked
# dependencies from requirements.lock plus mldebt itself (editable).
# Safe to run any number of times: each step checks before it acts.
set -euo pipefail

MLDEBT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLDEBT_VENV:-$MLDEBT_ROOT/.venv}"

# System packages: WeasyPrint's Pango/HarfBuzz libraries and a font, git for
# the collectors and the sample histories. Callers may add to EXTRA_APT.
APT_PACKAGES=(git libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core ${EXTRA_APT:-})

log() { printf '[setup] %s\n' "$*" >&2; }

# Each step prints one line; a command's own output goes to a log file, shown
# whole only when the command fails.
SETUP_LOG="${MLDEBT_SETUP_LOG:-${TMPDIR:-/tmp}/mldebt-setup.$(id -u).log}"
logged() {
    if ! "$@" >>"$SETUP_LOG" 2>&1; then
        log "failed: $*"
        log "the full log ($SETUP_LOG) follows:"
        cat "$SETUP_LOG" >&2
        return 1
    fi
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else log "need root to run: $*"; return 1
    fi
}

apt_missing() {
    local pkg missing=()
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    printf '%s\n' "${missing[@]}"
}

ensure_apt() {
    command -v dpkg-query >/dev/null 2>&1 || { log "not a Debian/Ubuntu system: install $* yourself"; return 0; }
    local missing
    mapfile -t missing < <(apt_missing "$@" | sed '/^$/d')
    if [ "${#missing[@]}" -eq 0 ]; then
        log "system packages: all present"
        return 0
    fi
    log "system packages: installing ${missing[*]}"
    logged as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    logged as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    log "Python 3.11 or newer is required"; return 1
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ]; then
        log "virtual environment: $VENV (present)"
        return 0
    fi
    local py; py="$(find_python)"
    log "virtual environment: creating $VENV"
    if ! "$py" -m venv "$VENV" >>"$SETUP_LOG" 2>&1; then
        # Debian splits venv/ensurepip into its own package.
        rm -rf "$VENV"
        local ver; ver="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        ensure_apt "python${ver}-venv"
        logged "$py" -m venv "$VENV"
    fi
}

ensure_python_deps() {
    local stamp="$VENV/.mldebt-lock.sha256" want
    # the lock, the project's metadata and which checkout the editable install points at
    want="$( (cat "$MLDEBT_ROOT/requirements.lock" "$MLDEBT_ROOT/pyproject.toml"; echo "$MLDEBT_ROOT") | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c 'import mldebt' 2>/dev/null; then
        log "Python dependencies: up to date with requirements.lock"
        return 0
    fi
    log "Python dependencies: installing requirements.lock and mldebt (a few minutes the first time)"
    logged "$VENV/bin/python" -m pip install --disable-pip-version-check --require-hashes --no-deps \
        -r "$MLDEBT_ROOT/requirements.lock"
    logged "$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps --no-build-isolation \
        -e "$MLDEBT_ROOT"
    echo "$want" >"$stamp"
}

: >"$SETUP_LOG"
ensure_apt "${APT_PACKAGES[@]}"
ensure_venv
ensure_python_deps
export PATH="$VENV/bin:$PATH"
