"""The occupation books on Celery workers: `build_occupation_book` with Dagster's Celery executor.

The same assets, resources and partitions as pipeline/definitions.py; only the executor differs, so the warehouse
job keeps its one writer and `make book` stays in-process. The Celery executor sends each step to a worker with a
pointer to this module, and the worker rebuilds the job from it: hence a module of its own, importable on every
worker (not a `__main__`).
"""

from __future__ import annotations

import dagster as dg
from dagster_celery import celery_executor

from pipeline import definitions as d

BUILD_OCCUPATION_BOOK_ON_CELERY = "build_occupation_book_on_celery"

# Named by environment variables, not written out: a team's broker URL may carry a password, and run config is
# recorded with every run. The workers need the same variables (they check the run's config).
EXECUTION = {"config": {"broker": {"env": "CELERY_BROKER_URL"}, "backend": {"env": "CELERY_RESULT_BACKEND"}}}

_book_on_celery_job = dg.define_asset_job(
    BUILD_OCCUPATION_BOOK_ON_CELERY,
    description="One occupation's book (a partition: its SOC code), each step on a Celery worker.",
    selection=dg.AssetSelection.assets(*d.occupation_assets),
    executor_def=celery_executor,
)

defs = dg.Definitions.merge(d.defs, dg.Definitions(jobs=[_book_on_celery_job]))


def book_on_celery_job() -> dg.JobDefinition:
    """The job, resolved against the whole asset graph (what `dg.reconstructable` and the workers load)."""
    return defs.resolve_job_def(BUILD_OCCUPATION_BOOK_ON_CELERY)
