"""Occupations are Dagster static partitions: each book builds, and writes its outputs, on its own."""

import dagster as dg

from pipeline.settings import catalog_socs, setting


def partition_socs() -> list[str]:
    """The report's SOC first, then the catalogue's; read when the definitions load (SOC and CATALOG_SOCS)."""
    return list(dict.fromkeys([setting("soc"), *catalog_socs()]))


occupation_partitions = dg.StaticPartitionsDefinition(partition_socs())
