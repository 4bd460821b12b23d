"""The benchmark workloads W1-W6 (shared/BENCH.md) in fuseflow's modes and in plain NumPy."""
