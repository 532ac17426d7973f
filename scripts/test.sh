#!/usr/bin/env bash
# scripts/test.sh - set up the checkout (scripts/setup.sh), then run the tests
# from the repo root on 2 workers; extra args go to pytest, its exit code is ours:
#   bash scripts/test.sh [pytest args]
# The set-up includes LibreOffice Writer (--docx-check), so that the test converting the Word
# report to PDF runs rather than skips.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --docx-check
exec .venv/bin/python -m pytest -n 2 "$@"
