"""A page's prose is markdown (pipeline/report/text.py): no code cell of a page builds a paragraph.

A code cell may still display a table or list that it builds from data (``Markdown(table_markdown(...))``), but
never a ``Markdown``/``HTML`` display of written words: a string literal of several words, or a variable that
could hold one. Written words go in markdown cells, with the numbers as ``{{ values }}``.
"""

import ast

import jupytext
import pytest

from pipeline.assets.notebooks import notebook_sources

DISPLAYS = {"Markdown", "HTML"}
PROSE_WORDS = 5  # a literal of this many words inside a display is a sentence, not a label


def _display_calls(tree: ast.AST) -> list[ast.Call]:
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DISPLAYS
    ]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _prose_in(call: ast.Call) -> str | None:
    for arg in call.args:
        if isinstance(arg, ast.Name):
            return f"{arg.id} (a variable: the words it holds belong in a markdown cell)"
        for node in ast.walk(arg):
            words = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words = node.value
            elif isinstance(node, ast.JoinedStr):
                words = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if words and len(words.split()) >= PROSE_WORDS:
                return repr(words[:80])
    return None


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_no_code_cell_builds_prose(md_path):
    problems = []
    for i, cell in enumerate(jupytext.read(md_path).cells):
        if cell.cell_type != "code":
            continue
        for call in _display_calls(ast.parse(cell.source)):
            prose = _prose_in(call)
            if prose:
                problems.append(f"{md_path.name}, cell {i}: {call.func.id}() of {prose}")  # type: ignore[attr-defined]
    assert problems == []


def test_the_check_catches_a_paragraph_built_in_code():
    cell = 'display(Markdown(f"The median was {m}, up {c} since {y}."))\ntext = "x"\nMarkdown(text)'
    found = [_prose_in(c) for c in _display_calls(ast.parse(cell))]
    assert found[0].startswith("'The median was") and found[1].startswith("text (a variable")
