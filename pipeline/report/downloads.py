"""The data downloads page: every CSV the book writes, found on disk and listed chapter by chapter, with links.

Pages write their CSVs through ``present.Page``; this module writes the downloads page's own files (the
warehouse extracts and the manifest), finds each chapter's files in the order of the table of contents, and
keeps only those the chapter's executed notebook still links to, so a file left over from an earlier run is
never offered.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from pipeline.report.text import missing


def write_csv(downloads_dir: str | Path, page: str, name: str, data: pd.DataFrame) -> tuple[Path, str]:
    """Write a CSV under <downloads_dir>/<page>/<name>.csv; return its path and the page-relative href."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"download name {name!r}: use lower-case letters, digits and underscores")
    folder = Path(downloads_dir) / page
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    data.to_csv(path, index=False)
    return path, f"../_static/data/{page}/{name}.csv"


def toc_pages(book_dir: Path) -> list[str]:
    """The book's pages (notebook stems) in table-of-contents order."""
    import yaml

    toc = yaml.safe_load((Path(book_dir) / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return [Path(f).name for f in files]


def page_title(md_path: Path) -> str:
    for line in Path(md_path).read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return Path(md_path).stem.replace("_", " ").capitalize()


def linked_csvs(executed_notebook: Path, page: str) -> set[str] | None:
    """CSV file names a page's executed notebook links to, or None when the notebook is not at hand."""
    if not executed_notebook.exists():
        return None
    text = executed_notebook.read_text()
    return set(re.findall(rf"_static/data/{re.escape(page)}/([a-z0-9_]+\.csv)", text))


def csv_listing(folder: Path, only: set[str] | None = None) -> pd.DataFrame:
    """The CSVs in a folder (only those named, when given), sorted by name: file, bytes and data rows."""
    rows = []
    for path in sorted(Path(folder).glob("*.csv")):
        if only is not None and path.name not in only:
            continue
        try:
            n_rows = len(pd.read_csv(path))
        except Exception:  # an unreadable file is listed as such, not hidden
            n_rows = None
        rows.append({"file": path.name, "bytes": path.stat().st_size, "rows": n_rows})
    return pd.DataFrame(rows, columns=["file", "bytes", "rows"])


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"  # a CSV has at least its header, so never one byte
    if n < 1024**2:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024**2:.1f} MB"


def links_table_html(page: str, listing: pd.DataFrame, descriptions: dict[str, str] | None = None) -> str:
    """A table of CSV links (relative to the page), sizes and row counts."""
    head = "<tr><th>File</th>" + ("<th>What it holds</th>" if descriptions else "") + "<th>Size</th><th>Rows</th></tr>"
    body = []
    for r in listing.itertuples():
        href = f"../_static/data/{page}/{r.file}"
        desc = f"<td>{html.escape(descriptions.get(r.file, ''))}</td>" if descriptions else ""
        rows = "unreadable" if missing(r.rows) else f"{int(r.rows):,}"
        body.append(
            f'<tr><td><a class="csv-download" href="{html.escape(href)}" download>{html.escape(r.file)}</a>'
            f"</td>{desc}<td>{human_size(int(r.bytes))}</td><td>{rows}</td></tr>"
        )
    return (
        f'<table class="report-table downloads-table" style="margin-left:0"><thead>{head}</thead><tbody>{"".join(body)}'
        "</tbody></table>"
    )


def chapter_files(data_root: Path, executed_dir: Path, notebook_dir: Path, book_dir: Path, skip: str) -> list[dict]:
    """Each chapter (table-of-contents order) with the CSVs its executed notebook links to.

    One dict per chapter that has any: ``page``, ``title``, ``listing`` (``csv_listing``) and ``unlinked`` (files
    in its folder that its notebook no longer links to, left over from an earlier run, not offered).
    """
    chapters = []
    for stem in toc_pages(book_dir):
        folder = Path(data_root) / stem
        if stem == skip or not folder.is_dir():
            continue
        listing = csv_listing(folder, linked_csvs(Path(executed_dir) / f"{stem}.ipynb", stem))
        unlinked = len(list(folder.glob("*.csv"))) - len(listing)
        chapters.append(
            {
                "page": stem,
                "title": page_title(Path(notebook_dir) / f"{stem}.md"),
                "listing": listing,
                "unlinked": unlinked,
            }
        )
    return chapters
