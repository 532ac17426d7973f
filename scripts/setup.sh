#!/usr/bin/env bash
# scripts/setup.sh - prepare this checkout for running orgmodel (idempotent).
#
#   1. system packages (Graphviz, CJK font, fontconfig, Chromium; with --docx-check
#      also LibreOffice Writer, which the tests use to convert the Word report to PDF)
#      via apt, only when missing; no apt call at all when everything is present;
#   2. a virtual environment in .venv (Python >= 3.11);
#   3. pip install -e ".[test,web]" plus every plugins/*/ package (editable),
#      skipped when the pyproject.toml files and Python version are unchanged.
#
# Progress lines go to stderr, prefixed "setup:". Override the interpreter
# used to create the venv with PYTHON=/path/to/python3.
#
#   bash scripts/setup.sh [--docx-check]
set -euo pipefail

docx_check=0
for arg in "$@"; do
    case "$arg" in
        --docx-check) docx_check=1 ;;
        *) echo "setup: unknown option $arg (known: --docx-check)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
say() { echo "setup: $*" >&2; }

# --- 1. system packages ------------------------------------------------------
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
[ -n "$(fc-list :lang=zh 2>/dev/null || true)" ] || missing+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "$docx_check" -eq 1 ]; then   # about 40 s on a Debian 12 machine, apt-get update included
    command -v libreoffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
fi

if [ ${#missing[@]} -eq 0 ]; then
    say "system packages present"
else
    sudo=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        sudo=(sudo); [ -t 0 ] || sudo=(sudo -n)   # never wait for a password in CI
    fi
    if [ "$(id -u)" -ne 0 ] && [ ${#sudo[@]} -eq 0 ]; then
        say "WARNING: not root and no sudo; please install these Debian packages:"
        say "  apt-get install -y --no-install-recommends ${missing[*]}"
    else
        say "installing system packages: ${missing[*]}"
        apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o=Dpkg::Use-Pty=0)
        "${apt[@]}" update >/dev/null
        "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

# --- 2. virtual environment --------------------------------------------------
check_python() {  # $1 = interpreter; fail unless it is Python >= 3.11
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || {
        say "ERROR: Python >= 3.11 required; $1 is: $("$1" -V 2>&1)"
        [ "$1" = "$PYTHON" ] || say "  remove .venv and re-run with a newer python3 (or PYTHON=...)"
        exit 1
    }
}
if [ ! -x .venv/bin/python ]; then
    check_python "$PYTHON"
    say "creating .venv with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv .venv
fi
check_python .venv/bin/python

# --- 3. Python packages ------------------------------------------------------
shopt -s nullglob
plugins=(plugins/*/pyproject.toml)
hash="$( { sha256sum pyproject.toml "${plugins[@]}"; .venv/bin/python -V; } | sha256sum | cut -d' ' -f1)"
stamp=.venv/.orgmodel-setup-hash

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    say "python packages up to date"
else
    say "pip install -e .[test,web] and ${#plugins[@]} plugin(s)"
    args=(-e ".[test,web]")
    for p in "${plugins[@]}"; do args+=(-e "$(dirname "$p")"); done
    rm -f "$stamp"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${args[@]}"
    echo "$hash" > "$stamp"
fi
say "done"
