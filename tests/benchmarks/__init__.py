"""Benchmarks: not part of the default test run. `uv run python -m tests.benchmarks.run`."""
