#!/usr/bin/env bash
# Install if needed, then run the main job on the synthetic cohorts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
CMR=.venv/bin/cmrbench
DATA=${CMRBENCH_DATA:-data/quickstart}
mkdir -p "$DATA/manifests"
for cohort in ukbb acdc bscmr; do
  if [ ! -f "$DATA/$cohort/truth.csv" ]; then
    $CMR synth "$cohort" --out "$DATA/$cohort" --subjects 20 --seed 0 --overwrite
  fi
done
$CMR data index ukbb "$DATA/ukbb" --out "$DATA/manifests/ukbb.csv"
$CMR data index acdc "$DATA/acdc" --out "$DATA/manifests/acdc.csv"
$CMR data index manifest "$DATA/bscmr/manifest.csv" --out "$DATA/manifests/bscmr.csv"
for m in ukbb acdc bscmr; do $CMR data check "$DATA/manifests/$m.csv"; done
