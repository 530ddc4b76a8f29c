"""Pieces the scenarios share: local processes (simulators, nginx, the pipeline), metrics, math, tables."""
