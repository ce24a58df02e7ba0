"""Benchmarks; a package so that kms_bench.py can import bench.bench."""
