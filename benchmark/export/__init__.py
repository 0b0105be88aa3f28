"""Exports of a suite's data in other tools' layouts (nnU-Net v2), and the mappings that score their predictions."""
