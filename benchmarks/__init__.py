"""medlens benchmarks: ``make bench`` (``python -m benchmarks``).

Each ``bench_*.py`` module has ``run(quick: bool) -> list[Row]``: every row
compares ours with a baseline measured side by side in the same run, as a ratio.
"""

__all__: list[str] = []
