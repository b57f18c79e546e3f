"""Load and scale benchmarks of the platform: `make bench` (python -m bench) writes docs/BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run, the median
of several rounds, because the machine is shared and noisy.
"""
