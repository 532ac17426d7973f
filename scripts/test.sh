#!/usr/bin/env bash
# scripts/test.sh - set up the checkout (scripts/setup.sh), then run the tests
# from the repo root on 2 workers; extra args go to pytest, its exit code is ours:
#   bash scripts/test.sh [pytest args]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -n 2 "$@"
