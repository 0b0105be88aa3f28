"""Synthetic short-axis cine CMR with exact labels: anatomy, scanners, sites, cohorts, writers."""
