"""The catalogue site: a landing page comparing the occupations, and a copy of each occupation's book."""

import shutil

import dagster as dg

from pipeline.assets.book import BOOK_DIR
from pipeline.incremental import StepState, fingerprint
from pipeline.landing import render
from pipeline.resources import ReportParams, WarehouseResource


@dg.asset(deps=["book"], group_name="book", kinds={"html"})
def catalog_site(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, report: ReportParams
) -> dg.MaterializeResult:
    """One site: a landing page comparing the catalogue's occupations, each linked to its own book."""
    p = warehouse.paths()
    socs = report.catalog()
    edition = report.edition_name()
    missing = [soc for soc in socs if not (p.html_dir(soc) / "index.html").exists()]
    if missing:
        raise RuntimeError(f"no built book for {', '.join(missing)}; build them first (`make catalog` does).")
    books = [(StepState(p.occupation_state_dir(soc), "book").load() or {}).get("fingerprint") for soc in socs]
    # The landing page also reads the real-wage mart (pipeline/landing.py), so a change to it rebuilds the page.
    tables = ("meta_catalog", "mart_oews__real_wages")
    fp = fingerprint(
        socs, edition, books, [(StepState(p.state_dir, t).load() or {}).get("fingerprint") for t in tables]
    )
    step = StepState(p.build_dir / "state", "catalog_site")
    if step.is_current(fp) and (p.site_dir / "index.html").exists():
        context.log.info("The catalogue site is up to date.")
    else:
        # Assemble beside the live site and swap, so a failure leaves the last good one.
        scratch = p.build_dir / "site-scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        for soc in socs:
            shutil.copytree(p.html_dir(soc), scratch / soc)
        # The books' icon, so a browser's request for /favicon.ico finds one (a 404 is a console error).
        shutil.copy2(BOOK_DIR / "_extra" / "favicon.ico", scratch / "favicon.ico")
        with warehouse.connect(read_only=True) as con:
            page = render(con, socs, edition, scratch / "_static" / "data")
        (scratch / "index.html").write_text(page)
        old = p.build_dir / "site-previous"
        shutil.rmtree(old, ignore_errors=True)
        if p.site_dir.exists():
            p.site_dir.rename(old)
        scratch.rename(p.site_dir)
        shutil.rmtree(old, ignore_errors=True)
        step.save(fp, socs=socs)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(fp),
        metadata={"html": str(p.site_dir / "index.html"), "occupations": ", ".join(socs)},
    )
