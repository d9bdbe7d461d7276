"""The Makefile passes user values to the programs as data: no value ever runs a command.

Each target runs for real (not `make -n`: GNU make expands recipes under -n, and `$(shell ...)` runs while it
expands), with PY pointing at a SYNTHETIC stand-in for Python that records its argv and environment and exits 0,
so no pipeline code runs. Every user value carries a payload that would create a marker file if a shell or make
evaluated it; the test asserts that no marker appears and that the stand-in received each payload verbatim.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Everything a user sets on make's command line or in the environment to steer a target.
USER_VALUES = (
    "SOC",
    "EDITION",
    "STRICT",
    "RECORD_RUNS",
    "SOURCES_MIRROR",
    "DAGSTER_HOME",
    "SOCS",
    "URL",
    "SOURCE",
    "PART",
    "REASON",
)
# A variable the Makefile never names: make still exports command-line values, expanding them as it does.
UNNAMED = "SOME_SETTING"

PAYLOADS = {
    "backticks": "`touch {marker}`",
    "dollar_paren": "$(touch {marker})",
    "double_dollar": "$$(touch {marker})",
    "quote_breakout": '"; touch {marker}; echo "',
    "single_quote_breakout": "'; touch {marker}; echo '",
    "newline": "x\ntouch {marker}",
    "make_shell": "$(shell touch {marker})",
    "make_shell_braces": "${{shell touch {marker}}}",
}

# target -> the argv the stand-in must receive after "-m", given the values.
TARGETS = {
    "book": lambda v: ["pipeline.build"],
    "catalog": lambda v: ["pipeline.build", "--catalog"],
    "export": lambda v: ["pipeline.warehouse_export", "--", v["URL"]],
    "publish": lambda v: ["pipeline.publish", "--", v["URL"]],
    "accept": lambda v: ["pipeline.acceptance", f"--reason={v['REASON']}", "--", v["SOURCE"], v["PART"]],
    "refresh": lambda v: ["pipeline.refresh"],
    "dev": lambda v: ["pipeline.dev"],
    "bench": lambda v: ["bench.run"],
}

FAKE_PYTHON = """#!{python}
# SYNTHETIC stand-in for the project's Python: records how make called it.
import json, os, sys
with open({record!r}, "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ)}}) + "\\n")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the Makefile in a scratch folder, beside a fake Python; recipes' side effects stay in it."""
    work = tmp_path / "project"
    work.mkdir()
    shutil.copy(PROJECT_ROOT / "Makefile", work / "Makefile")
    for name in ("requirements.lock", "pyproject.toml", "package-lock.json"):  # hashed into STAMP's name
        (work / name).write_text("")
    fake = tmp_path / "fake_python"
    fake.write_text(FAKE_PYTHON.format(python=sys.executable, record=str(tmp_path / "calls.jsonl")))
    fake.chmod(0o755)
    return work


def run_make(
    project: Path, target: str, command_line: dict[str, str], environment: dict[str, str], python: str | None = None
) -> list[dict]:
    """Runs `make <target>` (install prerequisite off: STAMP empty) and returns the calls the fake recorded."""
    fake = str(project.parent / "fake_python")
    env = {k: v for k, v in os.environ.items() if k not in USER_VALUES and k != UNNAMED} | environment
    args = [
        "make",
        "--no-print-directory",
        "-C",
        str(project),
        target,
        "STAMP=",
        f"PY={python or fake}",
        *(f"{name}={value}" for name, value in command_line.items()),
    ]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"
    record = project.parent / "calls.jsonl"
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


@pytest.mark.parametrize("delivery", ["command_line", "environment"])
@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("target", TARGETS)
def test_user_values_never_run_as_commands(
    project: Path, tmp_path: Path, target: str, payload: str, delivery: str
) -> None:
    names = USER_VALUES + (UNNAMED,)
    markers = {name: tmp_path / f"marker-{name}" for name in names}
    values = {name: PAYLOADS[payload].format(marker=markers[name]) for name in names}
    if delivery == "command_line":
        calls = run_make(project, target, command_line=values, environment={})
    else:
        calls = run_make(project, target, command_line={}, environment=values)

    ran = sorted(name for name, marker in markers.items() if marker.exists())
    assert not ran, f"make {target}: the {payload} payload in {ran} ran as a command ({delivery})"
    assert len(calls) == 1, calls
    argv, env = calls[0]["argv"], calls[0]["env"]
    assert argv == ["-m", *TARGETS[target](values)]
    expected_env = dict(values)
    if delivery == "environment":  # the Makefile's own DAGSTER_HOME wins over the environment's, as it always has
        expected_env["DAGSTER_HOME"] = str(project / ".dagster_home")
    assert {name: env.get(name) for name in names} == expected_env
    if target == "catalog":
        assert env["CATALOG_SOCS"] == values["SOCS"]


def test_ordinary_values_reach_the_programs_unchanged(project: Path) -> None:
    reason = 'BLS added the 2024 SOC revision; the "broad" codes moved (it\'s real) 100% $HOME'
    calls = run_make(project, "accept", {"SOURCE": "oews_history", "PART": "oesm24nat", "REASON": reason}, {})
    assert calls[-1]["argv"] == ["-m", "pipeline.acceptance", f"--reason={reason}", "--", "oews_history", "oesm24nat"]
    calls = run_make(project, "catalog", {"SOCS": "29-1122 29-1123"}, {})
    assert calls[-1]["env"]["CATALOG_SOCS"] == "29-1122 29-1123"
    calls = run_make(project, "export", {"URL": "s3://bucket/book/warehouse/2026Q4"}, {"EDITION": "2026Q4"})
    assert calls[-1]["argv"][-2:] == ["--", "s3://bucket/book/warehouse/2026Q4"]
    assert calls[-1]["env"]["EDITION"] == "2026Q4"
    calls = run_make(project, "book", {"SOC": "29-1123", "STRICT": "1"}, {})
    assert (calls[-1]["env"]["SOC"], calls[-1]["env"]["STRICT"]) == ("29-1123", "1")
    assert (project / ".dagster_home").is_dir()


def test_unset_values_are_empty_so_pyproject_defaults_apply(project: Path) -> None:
    calls = run_make(project, "book", {}, {})
    env = calls[-1]["env"]
    assert [env.get(name) for name in ("SOC", "EDITION", "STRICT")] == ["", "", ""]
    assert env["DAGSTER_HOME"] == str(project / ".dagster_home")


def test_make_accept_records_a_reason_with_quotes_and_a_payload(project: Path, tmp_path: Path) -> None:
    """The real pipeline.acceptance, through the Makefile, on a copy of the project's lock: the reason is stored
    verbatim, and the source and part (one with a space, when the lock has one) reach it as typed."""
    lock = tmp_path / "sources.lock"
    shutil.copy(PROJECT_ROOT / "warehouse" / "sources.lock", lock)
    sources = json.loads(lock.read_text())["sources"]
    candidates = [
        (source, pin["part"], pin["sha256"])
        for source, entry in sources.items()
        for pin in entry["snapshots"]
        if pin.get("part")
    ]
    source, part, sha = max(candidates, key=lambda c: " " in c[1])
    accepted = tmp_path / "accepted_changes.json"
    marker = tmp_path / "marker"
    reason = f'the "part" doubled; it\'s genuine `touch {marker}` $(touch {marker}) $(shell touch {marker})'
    env = {
        "SOURCES_LOCK": str(lock),
        "ACCEPTED_CHANGES": str(accepted),
        "WAREHOUSE_DIR": str(tmp_path / "wh"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    run_make(project, "accept", {"SOURCE": source, "PART": part, "REASON": reason}, env, python=sys.executable)
    assert not marker.exists()
    [record] = json.loads(accepted.read_text())["accepted"]
    assert (record["source_id"], record["part"], record["sha256"], record["reason"]) == (source, part, sha, reason)
