"""Dagster assets, in flow order: snapshot -> staging -> marts -> report parameters -> notebooks -> book."""
