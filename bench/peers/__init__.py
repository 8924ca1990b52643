"""Peer implementations the benchmarks compare with (installed only by `make bench` through
the `bench` extra; the product never imports them)."""
