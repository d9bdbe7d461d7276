"""`make catalog WORKERS=N`: the catalogue with each occupation's book built on Celery workers.

The warehouse is built first, in-process (one writer, as `make catalog`); then one `build_occupation_book_on_celery`
run per occupation sends its steps to the workers; then the landing page is built in-process. Without
CELERY_BROKER_URL this machine is the whole team: a Redis broker and N workers are started on 127.0.0.1, each
worker a process group of its own running one notebook kernel (one core's worth of work), and every one of them is
stopped when the build ends, whether it succeeds, fails or is interrupted. With CELERY_BROKER_URL the broker is the
team's, and WORKERS=0 leaves the work to workers started elsewhere (docs/scaling.md).

The workers read the warehouse the way other machines would: WAREHOUSE_URL (a Parquet export, written here from
the fresh warehouse first) when it is set, else the DuckDB file, read-only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import psutil  # type: ignore[import-untyped]  # no stubs installed (types-psutil is not in the lock)

from pipeline.build import _explain, _fail, _published_occupations, precheck_occupations, run_config
from pipeline.interrupts import stop_on_sigterm
from pipeline.lock import LockError
from pipeline.lock_files import UNRECORDED, EditionError
from pipeline.lock_reading import read_lock_once
from pipeline.occupation import OccupationError
from pipeline.settings import PROJECT_ROOT, catalog_socs, paths, switch
from pipeline.snapshots import SnapshotMismatchError

ENV_BIN = Path(sys.executable).parent
# A worker runs one page at a time in one warm kernel, so N workers keep N cores busy (pipeline/assets/notebooks.py).
KERNELS_PER_WORKER = "1"
# How long a worker may take to finish a step after being told to stop, before its processes are killed.
STOP_GRACE_SECONDS = 5.0
# The worker's config file, as `dagster-celery worker start -y` reads it: the same block as the run's executor.
WORKER_CONFIG = """execution:
  config:
    broker: {env: CELERY_BROKER_URL}
    backend: {env: CELERY_RESULT_BACKEND}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, required=True, help="Celery workers to start on this machine")
    args = parser.parse_args(argv)
    try:
        p = paths()
        reading = read_lock_once(p.lock_path)
        # SOCS=all: every occupation of the release (of the warehouse, else of the pinned OEWS snapshot).
        socs = sorted(_published_occupations(reading.lock, p)) if catalog_socs() == ["all"] else catalog_socs()
        precheck_occupations(socs, reading.lock, p)
    except (OccupationError, EditionError, SnapshotMismatchError, LockError) as exc:
        return _fail(str(exc))
    if args.workers < 1 and not os.environ.get("CELERY_BROKER_URL"):
        return _fail("WORKERS must be 1 or more, unless CELERY_BROKER_URL names a broker with workers of its own.")
    edition = p.edition or reading.lock.get("edition") or UNRECORDED
    config = run_config(p, edition, reading.sha256, socs[0], socs)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    # Ctrl-C and a plain `kill` both end the build through the `finally` blocks that stop the workers.
    stop_on_sigterm()

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(exist_ok=True)
    # Dagster's defaults, said once: without the file, the launcher and each worker print that they assumed them.
    (home / "dagster.yaml").touch()
    from pipeline.definitions import BUILD_CATALOG_SITE, BUILD_WAREHOUSE, defs
    from pipeline.partitions import register_occupations

    stages = f"{len(socs)} books on {args.workers} worker{'s' if args.workers != 1 else ''}"
    print("[1/3] warehouse ...", flush=True)
    failure = _run_in_process(defs.resolve_job_def(BUILD_WAREHOUSE), config, edition)
    if failure:
        return _fail(f"warehouse: {failure}")
    if os.environ.get("WAREHOUSE_URL"):
        from pipeline.warehouse_export import export_parquet

        export_parquet(p.duckdb_path, os.environ["WAREHOUSE_URL"], edition=p.edition)
    print(f"[2/3] {stages} ...", flush=True)
    started = time.perf_counter()
    # The workers' instance: created (and the occupations registered) before they start, not by two at once.
    with dg.DagsterInstance.get() as instance:
        register_occupations(instance, socs)
    try:
        with _broker_and_workers(args.workers, p.build_dir / "workers") as cluster:
            running = time.perf_counter()
            failures = run_books_on_celery(socs, config, edition, cluster)
            books_seconds = time.perf_counter() - running
    except ClusterError as exc:
        return _fail(str(exc))
    if failures:
        return _fail("\n".join(f"book {soc}: {why}" for soc, why in failures.items()))
    seconds = time.perf_counter() - started
    print(
        f"[2/3] {stages}: done in {seconds:.1f} s ({books_seconds:.1f} s from the workers' start to the last book, "
        f"{seconds - books_seconds:.1f} s starting the broker and stopping everything)",
        flush=True,
    )
    print("[3/3] catalogue site ...", flush=True)
    failure = _run_in_process(defs.resolve_job_def(BUILD_CATALOG_SITE), config, edition)
    if failure:
        return _fail(f"catalogue site: {failure}")
    print(f"\nCatalogue built: {p.site_dir / 'index.html'}  ({len(socs)} occupations)")
    return 0


def _run_in_process(job: dg.JobDefinition, config: dict, edition: str) -> str | None:
    """Run an unpartitioned job in this process, as `make catalog` does; the reason it failed, or None."""
    with _instance() as instance:
        result = job.execute_in_process(
            run_config=config, instance=instance, raise_on_error=False, tags={"edition": edition}
        )
    stop_on_sigterm()  # Dagster's run pointed SIGTERM at what SIGINT does: nothing, in a background job
    return None if result.success else _explain(result)


@contextlib.contextmanager
def _instance() -> Iterator[dg.DagsterInstance]:
    """The books' runs need the instance the workers share (DAGSTER_HOME); the other runs need it only to be
    recorded (RECORD_RUNS=1, as for `make book`), since writing its event log costs seconds."""
    instance = dg.DagsterInstance.get() if switch("record_runs") else dg.DagsterInstance.ephemeral()
    try:
        yield instance
    finally:
        instance.dispose()


@dataclass
class Cluster:
    """The broker's and result backend's URLs (the environment runs and workers share) and the local workers."""

    env: dict[str, str]
    workers: list[subprocess.Popen] = field(default_factory=list)
    log_dir: Path = Path()

    def check_workers(self) -> None:
        """A local worker that stopped would leave its share of the steps waiting for ever: stop the build."""
        for number, worker in enumerate(self.workers, start=1):
            if worker.poll() is not None:
                raise ClusterError(
                    f"worker {number} stopped (exit code {worker.returncode}); see {self.log_dir}/worker-{number}.log"
                )


class ClusterError(RuntimeError):
    """The local broker could not be started, or a worker stopped during the build."""


def run_books_on_celery(socs: list[str], config: dict, edition: str, cluster: Cluster) -> dict[str, str]:
    """One run per occupation, several at a time so that no worker waits; each run's steps go to the workers.

    Returns {soc: why} for the books that failed. The runs are watched from daemon threads: an interrupted build
    does not wait for them (their steps stop with the workers).
    """
    from pipeline.book_on_celery import EXECUTION, book_on_celery_job

    os.environ.update(cluster.env)  # the run's executor reads the broker's URL from the environment, as workers do
    # dagster-celery registers its task again for every step it sends; the second registration is ignored.
    warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already registered")
    job = dg.reconstructable(book_on_celery_job)
    with dg.DagsterInstance.get() as instance:
        ref = instance.get_ref()
    todo: queue.Queue[str] = queue.Queue()
    for soc in socs:
        todo.put(soc)
    done: queue.Queue[tuple[str, str | None]] = queue.Queue()

    def watch_runs() -> None:
        with dg.DagsterInstance.from_ref(ref) as own_instance:  # one instance per thread
            while True:
                try:
                    soc = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    result = dg.execute_job(
                        job,
                        own_instance,
                        run_config={**config, "execution": EXECUTION},
                        tags={"edition": edition, "soc": soc, "dagster/partition": soc},
                        raise_on_error=False,
                    )
                except Exception as exc:  # the broker gone, say: this book failed, the others are still waited for
                    done.put((soc, f"{type(exc).__name__}: {exc}"))
                    continue
                # _explain reads only the events, which every Dagster result has.
                done.put((soc, None if result.success else _explain(result)))  # type: ignore[arg-type]

    # Two runs in flight per worker: while one run hands its finished step back, the next one's is queued. A team's
    # broker serves workers this machine does not know of: CATALOG_RUNS_AT_ONCE says how many runs to keep going.
    at_once = int(os.environ.get("CATALOG_RUNS_AT_ONCE") or max(2, 2 * len(cluster.workers)))
    for _ in range(min(len(socs), at_once)):
        threading.Thread(target=watch_runs, daemon=True).start()
    failures = {}
    for number in range(1, len(socs) + 1):
        while True:
            cluster.check_workers()
            try:
                soc, why = done.get(timeout=1)
                break
            except queue.Empty:
                continue
        print(f"  book {soc} ({number}/{len(socs)}): {'done' if why is None else 'FAILED'}", flush=True)
        if why is not None:
            failures[soc] = why
    return failures


@contextlib.contextmanager
def _broker_and_workers(workers: int, log_dir: Path) -> Iterator[Cluster]:
    """Start the broker (unless CELERY_BROKER_URL names one) and the workers; stop them all on the way out."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="catalog-workers-") as scratch, contextlib.ExitStack() as stops:
        # Last started, first stopped (the workers, then the broker they report to), each one even if another
        # failed; a second Ctrl-C cannot cut the stopping short, and works again once it is done.
        stops.callback(_handle_interrupts, signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        broker = os.environ.get("CELERY_BROKER_URL")
        if not broker:
            port = _free_port()
            redis_server = _start(_redis_command(port, scratch), log_dir / "redis.log")
            stops.callback(_stop, [redis_server])
            broker = f"redis://127.0.0.1:{port}/0"
            _wait_for_redis(port, redis_server)
        cluster = Cluster({"CELERY_BROKER_URL": broker}, log_dir=log_dir)
        cluster.env["CELERY_RESULT_BACKEND"] = os.environ.get("CELERY_RESULT_BACKEND") or broker
        config_yaml = Path(scratch) / "celery.yaml"
        config_yaml.write_text(WORKER_CONFIG)
        stops.callback(_stop, cluster.workers)  # all at once, however many had started
        for number in range(1, workers + 1):
            cluster.workers.append(
                _start(_worker_command(number, config_yaml), log_dir / f"worker-{number}.log", cluster.env)
            )
        stops.callback(_handle_interrupts, signal.SIG_IGN, signal.SIG_IGN)
        yield cluster


def _handle_interrupts(on_sigint, on_sigterm) -> None:
    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigterm)


def _redis_command(port: int, scratch: str) -> list[str]:
    # Only this machine can reach it, and nothing it holds outlives the build (no snapshot, no append-only file).
    return ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
            "--dir", scratch]  # fmt: skip


def _worker_command(number: int, config_yaml: Path) -> list[str]:
    # A solo pool runs each step in the worker's own process, so its warm kernel serves the next step too.
    return [str(ENV_BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(config_yaml),
            "-n", f"book-{number}", "--loglevel", "INFO", "--", "--pool=solo"]  # fmt: skip


def _start(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A process group of its own, so stopping it reaches every process it started and a Ctrl-C in the terminal
    reaches only the launcher, which then stops it in order."""
    environment = os.environ | (env or {})
    environment["PATH"] = f"{ENV_BIN}{os.pathsep}{environment.get('PATH', '')}"  # the worker CLI runs `celery`
    environment.setdefault("BOOK_KERNELS", KERNELS_PER_WORKER)
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each one's group (a Celery worker finishes its step, shuts its kernel down and exits), SIGKILL
    to what is left after the grace period, including notebook kernels, which run in sessions of their own."""
    descendants = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            descendants += psutil.Process(process.pid).children(recursive=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    _gone, alive = psutil.wait_procs(descendants, timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    for process in processes:
        process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_redis(port: int, process: subprocess.Popen, timeout_seconds: float = 10.0) -> None:
    import redis

    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClusterError(f"redis-server exited at start (code {process.returncode}); see its log")
        with contextlib.suppress(redis.ConnectionError):
            if redis.Redis(host="127.0.0.1", port=port).ping():
                return
        time.sleep(0.1)
    raise ClusterError(f"redis-server did not answer on port {port} within {timeout_seconds:.0f} s")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Ctrl-C or a plain kill: the broker and the workers were stopped on the way out (_broker_and_workers), and
        # the books finished before it stay built.
        print("\nBUILD STOPPED: interrupted; the broker and the workers were stopped.", file=sys.stderr)
        sys.exit(130)
