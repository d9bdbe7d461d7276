"""Every source, in the order a refresh takes them. Each is a module following pipeline/sources/base.py."""

from pipeline.sources import (
    ces,
    compensation_samples,
    employment_projections,
    ftc,
    jolts,
    oews_current,
    oews_history,
)

SOURCES = (oews_current, oews_history, employment_projections, ces, jolts, compensation_samples, ftc)
BY_ID = {module.SOURCE_ID: module for module in SOURCES}
