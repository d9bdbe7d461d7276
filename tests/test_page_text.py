"""The bridge between a page's code and its prose (pipeline/report/text.py): values published by code cells fill
``{{ name }}`` in markdown, ``if``/``unless`` cells are chosen by published true/false values, and a name the prose
uses but the code never published stops the build naming the page and the name."""

import math

import nbformat
import pytest

from pipeline.report import text


def _page(markdown_cells, values):
    """A synthetic executed notebook: one code cell whose output carries ``values``, then the markdown cells."""
    code = nbformat.v4.new_code_cell("say(...)")
    code.outputs = [nbformat.v4.new_output("display_data", data={text.VALUES_MIME: values})]
    cells = [code]
    for source, meta in markdown_cells:
        cell = nbformat.v4.new_markdown_cell(source)
        cell.metadata.update(meta)
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_values_fill_the_prose_and_leave_no_output():
    nb = text.fill_page(
        _page([("The median was {{ median }} in {{period}}.", {})], {"median": "$100,330", "period": "May 2025"}),
        "p.md",
    )
    assert nb.cells[1].source == "The median was $100,330 in May 2025."
    assert nb.cells[0].outputs == []


def test_conditional_cells_follow_their_value():
    cells = [("hourly words", {"if": "hourly"}), ("annual words", {"unless": "hourly"})]
    shown = [c.source for c in text.fill_page(_page(cells, {"hourly": True}), "p.md").cells[1:]]
    assert shown == ["hourly words"]
    shown = [c.source for c in text.fill_page(_page(cells, {"hourly": False}), "p.md").cells[1:]]
    assert shown == ["annual words"]


def test_an_unpublished_name_stops_the_page_naming_it():
    with pytest.raises(text.PageTextError, match=r"trend\.md.*\{\{ median \}\}.*never published 'median'"):
        text.fill_page(_page([("The median was {{ median }}.", {})], {}), "trend.md")


def test_a_condition_must_be_true_or_false():
    with pytest.raises(text.PageTextError, match="never published 'period' as true or false"):
        text.fill_page(_page([("x", {"if": "period"})], {"period": "May 2025"}), "p.md")


def test_one_name_published_twice_differently_is_refused():
    nb = _page([], {"a": "1"})
    second = nbformat.v4.new_code_cell("say(...)")
    second.outputs = [nbformat.v4.new_output("display_data", data={text.VALUES_MIME: {"a": "2"}})]
    nb.cells.append(second)
    with pytest.raises(text.PageTextError, match="published twice"):
        text.fill_page(nb, "p.md")


def test_numbers_must_be_formatted_before_they_are_said():
    with pytest.raises(text.PageTextError, match="format numbers first"):
        text.say(median=100330.0)
    with pytest.raises(text.PageTextError, match="NoneType"):
        text.say(median=None)


def test_a_shared_paragraph_is_filled_like_the_page(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "SNIPPET_DIR", tmp_path)
    (tmp_path / "pay_basis.md").write_text("Pay is shown {{ basis }}.\n")
    nb = text.fill_page(_page([("Intro.\n\n{{> pay_basis }}\n\nEnd.", {})], {"basis": "hourly"}), "p.md")
    assert nb.cells[1].source == "Intro.\n\nPay is shown hourly.\n\nEnd."
    with pytest.raises(text.PageTextError, match="has no file"):
        text.fill_page(_page([("{{> nowhere }}", {})], {}), "p.md")


def test_one_missing_value_rule():
    import pandas as pd

    assert all(text.missing(x) for x in (None, pd.NA, math.nan, float("nan")))
    assert not any(text.missing(x) for x in (0, 0.0, "", "not published"))
    assert text.value_or_reason(None, str, "withheld by BLS") == "withheld by BLS"
    assert text.value_or_reason(3, lambda v: f"{v:,}") == "3"
