#!/usr/bin/env bash
# scripts/demo.sh - set up the checkout (scripts/setup.sh), then run the demo:
#   bash scripts/demo.sh [extra args for "orgmodel demo"]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
exec "$root/.venv/bin/orgmodel" demo "$@"
