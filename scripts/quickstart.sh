#!/usr/bin/env bash
# Install if needed, then run the main job: suites/quickstart.yaml on the synthetic cohorts (CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/cmrbench run suites/quickstart.yaml --out runs/quickstart "$@"
