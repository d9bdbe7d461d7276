"""`make catalog WORKERS=N`: the books built on Celery workers over a Redis broker read word for word as the books
built in-process, and the broker and workers are gone when the build ends, also when it is interrupted.

Needs dagster-celery (requirements.lock) and Debian's redis-server, which `make test` installs (`make redis`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
from bs4 import BeautifulSoup

from pipeline.settings import PROJECT_ROOT

if shutil.which("redis-server") is None:
    pytest.fail(
        "redis-server is not installed: run `make redis` (Debian's package; `make test` does it)", pytrace=False
    )

SOCS = "29-1122 29-1123"
# Command lines of the processes a build starts (redis-server shows its address as its title); none may be left
# once the build has ended.
OURS = ["redis-server 127.0.0.1:", "dagster_celery.app"]


def _env(root: Path, build: str, mirror: Path) -> dict[str, str]:
    env = os.environ | {
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "BUILD_DIR": str(root / build),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "SOURCES_MIRROR": str(mirror),
        "CATALOG_SOCS": SOCS,
    }
    for name in ("SOC", "EDITION", "WAREHOUSE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "BOOK_KERNELS"):
        env.pop(name, None)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def _left_over() -> list[str]:
    return [
        " ".join(p.info["cmdline"] or [])
        for p in psutil.process_iter(["cmdline"])
        if any(mark in " ".join(p.info["cmdline"] or []) for mark in OURS)
    ]


def _visible_text(page: Path) -> str:
    soup = BeautifulSoup(page.read_text(), "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    return " ".join(soup.get_text(" ").split())


@pytest.fixture(scope="module")
def in_process_catalog(tmp_path_factory, available_mirror) -> Path:
    """From an empty state: the warehouse and the two books, in-process (`make catalog`)."""
    root = tmp_path_factory.mktemp("celery_catalog")
    _run(["-m", "pipeline.build", "--catalog"], _env(root, "build_in_process", available_mirror))
    return root


def test_books_on_two_workers_read_as_the_books_built_in_process(in_process_catalog, available_mirror):
    root = in_process_catalog
    log = _run(["-m", "pipeline.catalog_workers", "--workers", "2"], _env(root, "build_celery", available_mirror))
    assert "2 books on 2 workers: done" in log
    for soc in SOCS.split():
        ours, theirs = root / "build_celery" / soc / "html", root / "build_in_process" / soc / "html"
        pages = sorted(p.relative_to(ours) for p in ours.rglob("*.html"))
        assert pages == sorted(p.relative_to(theirs) for p in theirs.rglob("*.html"))
        assert len(pages) > 20
        for page in pages:
            assert _visible_text(ours / page) == _visible_text(theirs / page), f"{soc}: {page}"
    # Each worker ran steps (the run's engine events name the worker that took each step).
    for number in (1, 2):
        assert "succeeded" in (root / "build_celery" / "workers" / f"worker-{number}.log").read_text()
    assert (root / "build_celery" / "site" / "index.html").exists()
    assert _left_over() == []


def _as_a_background_job() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a non-interactive shell does to a job it runs with &


@pytest.mark.parametrize(
    ("stop", "started"),
    [(signal.SIGINT, None), (signal.SIGTERM, _as_a_background_job)],
    ids=["ctrl-c in a terminal", "kill of a background job"],
)
def test_an_interrupted_build_leaves_no_process_behind(in_process_catalog, available_mirror, stop, started):
    env = _env(in_process_catalog, f"build_interrupted_{stop.name}", available_mirror)
    launcher = psutil.Popen(
        [sys.executable, "-m", "pipeline.catalog_workers", "--workers", "2"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=started,
    )
    # Interrupt once the workers are busy with the books, when there is most to stop.
    worker_log = Path(env["BUILD_DIR"]) / "workers" / "worker-1.log"
    deadline = time.monotonic() + 300
    while not (worker_log.exists() and "received" in worker_log.read_text()):
        assert launcher.poll() is None and time.monotonic() < deadline, "the workers never started a step"
        time.sleep(0.5)
    family = launcher.children(recursive=True)
    assert len(family) >= 3  # the broker and two workers at least
    launcher.send_signal(stop)
    launcher.wait(timeout=60)
    assert launcher.returncode == 130
    assert "BUILD STOPPED: interrupted; the broker and the workers were stopped." in launcher.stdout.read()
    _gone, alive = psutil.wait_procs(family, timeout=5)
    assert alive == []
    assert _left_over() == []
