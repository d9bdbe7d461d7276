"""Occupation market book: sources -> snapshots -> DuckDB warehouse -> notebooks -> Jupyter Book."""
