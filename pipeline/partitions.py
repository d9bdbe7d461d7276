"""Occupations are Dagster dynamic partitions: every occupation of the pinned release can have its own book.

The partition keys are not known when the definitions load: the warehouse build registers every SOC code of the
release it loaded (`report_occupations`, in the instance that runs it), so the Dagster UI and CLI offer each of
them, and a backfill can be launched over any set. `make book SOC=...` is one such partition's run.
"""

from __future__ import annotations

import dagster as dg

OCCUPATION_PARTITIONS = "occupation"

occupation_partitions = dg.DynamicPartitionsDefinition(name=OCCUPATION_PARTITIONS)


def register_occupations(instance: dg.DagsterInstance, socs: list[str]) -> list[str]:
    """Add the codes the instance does not know yet as occupation partitions; return those added."""
    known = set(instance.get_dynamic_partitions(OCCUPATION_PARTITIONS))
    new = [soc for soc in dict.fromkeys(socs) if soc not in known]
    if new:
        instance.add_dynamic_partitions(OCCUPATION_PARTITIONS, new)
    return new
