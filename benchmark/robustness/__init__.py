"""Robustness measures per case and per target: calibration, failure detection and clinical decisions."""
