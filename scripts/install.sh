#!/usr/bin/env bash
# Create .venv with cmrbench and its test tools; does nothing when it is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/cmrbench ] || [ pyproject.toml -nt .venv/.installed ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # Pinned together: PyPI's torchvision does not import beside other torch builds.
  .venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
  # ray and slurm: the launchers' engines, which the tests start themselves (a local Ray, submitit's local executor);
  # mlflow: tracking, which the tests log to local file and SQLite stores; nnunet: nnU-Net v2, which checks the export
  .venv/bin/python -m pip install -q -e '.[dev,ray,slurm,mlflow,nnunet]'
  touch .venv/.installed
fi
