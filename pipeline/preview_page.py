"""Preview one page without building the book: execute its notebook against an existing warehouse and write HTML.

    WAREHOUSE_DIR=/tmp/me/wh python -m pipeline.preview_page book/notebooks/geography.md [--soc 29-1123]

Writes <out>/<page>.ipynb and <out>/<page>.html (default out: /tmp/page-preview) and prints the HTML path; the
page's CSVs and chart SVGs go to <out>/_static/, where its links find them. The warehouse must have been built by
`make book` (or `python -m pipeline.build`) with the same WAREHOUSE_DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.assets.editions import load_previous_edition
from pipeline.assets.notebooks import execute_notebook
from pipeline.outputs import OutputMissingError
from pipeline.settings import paths, report_edition, setting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--soc", default=None, help="SOC code (default: SOC, else pyproject's soc)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/page-preview"))
    args = parser.parse_args(argv)
    args.soc = args.soc or setting("soc")
    import duckdb

    p = paths()
    with duckdb.connect(str(p.duckdb_path), read_only=True) as con:
        title = con.execute(
            "SELECT occupation_title FROM mart_oews__national_wages WHERE soc_code = ?", [args.soc]
        ).fetchall()[0][0]
        period = con.execute("SELECT reference_period FROM stg_oews__release").fetchall()[0][0]
    params = {
        "soc": args.soc,
        "occupation_title": title,
        "edition": report_edition(),
        "oews_reference_period": period,
        "warehouse_path": str(p.duckdb_path),
        "downloads_dir": str(args.out / "_static" / "data"),
    }
    try:  # the "What changed" page compares with the previous edition when a build has made its warehouse
        previous = load_previous_edition(p)
    except OutputMissingError:
        previous = {"previous_edition": None, "previous_warehouse_path": None, "previous_edition_error": None}
    params |= {k: previous[k] for k in ("previous_edition", "previous_warehouse_path", "previous_edition_error")}
    out_nb = args.out / f"{args.page.stem}.ipynb"
    execute_notebook(args.page.resolve(), out_nb, params)
    out_html = out_nb.with_suffix(".html")
    out_html.write_text(render(out_nb))
    print(out_html)
    return 0


def render(notebook: Path) -> str:
    """Markdown cells and cell outputs, in order, as one HTML page styled like the book (code is hidden)."""
    import nbformat
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    parts = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            parts.append(md.render(cell.source))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"])
            elif "text/markdown" in data:
                parts.append(md.render(data["text/markdown"]))
            elif output.get("output_type") == "stream":
                parts.append(f"<pre>{output.get('text', '')}</pre>")
    css = (Path(__file__).resolve().parents[1] / "book" / "_static" / "report.css").read_text()
    # A book's page lives in notebooks/ and links its CSVs and charts as ../_static/...; the preview's page sits
    # beside its _static/ folder.
    body = "".join(parts).replace('="../_static/', '="_static/')
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>body{{font-family:sans-serif;"
        f"max-width:60rem;margin:2rem auto}}{css}</style></head><body>{body}</body></html>"
    )


if __name__ == "__main__":
    sys.exit(main())
