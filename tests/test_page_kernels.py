"""How pages run in warm kernels (pipeline/assets/notebooks.py): one kernel and one client per page thread, an
empty namespace for every page, the page's warehouse connections closed when it ends, a fresh kernel after a
failed page, and kernels warmed in the background before the first page.

The pages here are SYNTHETIC: tiny MyST notebooks written by the tests, over a one-table synthetic warehouse.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import nbformat
import pytest

from pipeline.assets import notebooks

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Synthetic page

```{{code-cell}} ipython3
:tags: [parameters]

warehouse_path = ""
```

```{{code-cell}} ipython3
{code}
```
"""


def _page(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(PAGE.format(code=code))
    return path


def _outputs(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return "".join(o.get("text", "") for c in cells for o in c.get("outputs", []))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "synthetic_warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE synthetic_numbers AS SELECT 42 AS value_count")
    return path


def _run(tmp_path: Path, warehouse: Path, name: str, code: str) -> Path:
    out = tmp_path / "out" / f"{name}.ipynb"
    notebooks.execute_notebook(_page(tmp_path, name, code), out, {"warehouse_path": str(warehouse)})
    return out


def test_pages_share_one_kernel_and_one_client_but_never_a_namespace(tmp_path, warehouse):
    first = _run(tmp_path, warehouse, "first", "left_behind = 'from the first page'\nprint('first ran')")
    km = notebooks._warm_kernel()
    client = notebooks._clients[km]
    second = _run(tmp_path, warehouse, "second", "print('left_behind' in globals())")
    assert "first ran" in _outputs(first)
    assert _outputs(second).strip() == "False"  # the first page's variables are gone
    assert notebooks._warm_kernel() is km and notebooks._clients[km] is client  # no new kernel, no new client


def test_a_page_leaves_no_connection_open_even_one_only_the_garbage_collector_would_find(tmp_path, warehouse):
    # The connection sits in a reference cycle: deleting the namespace alone would not close it.
    code = (
        "from pipeline.report.warehouse import connect\n"
        "con = connect(warehouse_path)\n"
        "cycle = {'con': con}\ncycle['self'] = cycle\n"
        "print(con.execute('SELECT value_count FROM synthetic_numbers').fetchone()[0])"
    )
    out = _run(tmp_path, warehouse, "reader", code)
    assert _outputs(out).strip() == "42"
    # The kernel is still running; a writer can open the warehouse only if the page's read-only handle is closed.
    with duckdb.connect(str(warehouse)) as writer:
        writer.execute("INSERT INTO synthetic_numbers VALUES (43)")
        assert writer.execute("SELECT count(*) FROM synthetic_numbers").fetchone()[0] == 2


def test_a_failed_page_names_itself_and_the_next_page_gets_a_fresh_kernel(tmp_path, warehouse):
    _run(tmp_path, warehouse, "before", "print('ok')")
    km = notebooks._warm_kernel()
    with pytest.raises(notebooks.NotebookPageError, match="broken.md"):
        _run(tmp_path, warehouse, "broken", "raise ValueError('synthetic failure')")
    assert km not in notebooks._clients and not km.has_kernel  # stopped, with its client
    assert notebooks._warm_kernel() is not km  # a stopped manager cannot start again
    after = _run(tmp_path, warehouse, "after", "print('after ran')")
    assert "after ran" in _outputs(after)


def test_prewarm_starts_a_kernel_in_every_page_thread(tmp_path, warehouse):
    for future in notebooks.prewarm():
        future.result(timeout=120)
    # Each of the pool's threads holds a running kernel with its client; a page then runs on one of them.
    seen: dict[str, object] = {}

    def kernel_of_this_thread() -> object:
        km = notebooks._warm_kernel()
        seen[threading.current_thread().name] = km
        return km

    barrier = threading.Barrier(notebooks.KERNELS, timeout=60)

    def each_thread() -> object:
        barrier.wait()
        return kernel_of_this_thread()

    managers = [f.result() for f in [notebooks.page_pool().submit(each_thread) for _ in range(notebooks.KERNELS)]]
    assert len(seen) == notebooks.KERNELS
    assert all(km.has_kernel and km in notebooks._clients for km in managers)
    page = tmp_path / "pooled.md"
    page.write_text(PAGE.format(code="print('pooled')"))
    out = tmp_path / "out" / "pooled.ipynb"
    notebooks.page_pool().submit(notebooks.execute_notebook, page, out, {"warehouse_path": str(warehouse)}).result()
    assert "pooled" in _outputs(out)
