"""An S3-compatible server on 127.0.0.1 for the tests: moto in server mode, started as a subprocess.

Nothing is mocked inside the test process: the pipeline talks to the server through s3fs (fsspec) and botocore's
real HTTP client, exactly as it would talk to a bucket, only the endpoint is local. The credentials are
SYNTHETIC ("testing"); moto accepts any. A test module loads the fixtures with

    pytest_plugins = ("s3_server",)

`s3` gives each test a bucket of its own and sets the AWS_* variables (AWS_ENDPOINT_URL points botocore, and so
s3fs, at the server); `s3.subprocess_env()` carries the same variables to the subprocesses a test starts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# How long moto may take to start on a busy 2-core machine (it starts in about 0.5 s when idle).
START_TIMEOUT_SECONDS = 60


@dataclass
class S3Bucket:
    """One empty bucket on the local server: its name, an ``s3://`` URL for it, an s3fs file system, the env."""

    name: str
    endpoint: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"s3://{self.name}"

    @property
    def fs(self):
        import s3fs

        return s3fs.S3FileSystem(skip_instance_cache=True)

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        """The environment of a subprocess that talks to this bucket: this one's, the AWS_* variables, ``extra``."""
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
        return env | self.env | extra

    def keys(self, prefix: str = "") -> list[str]:
        """Every object under ``prefix``, relative to it, read from the server (no listing cache)."""
        root = f"{self.name}/{prefix}".rstrip("/")
        fs = self.fs
        if not fs.exists(root):
            return []
        return sorted(p.removeprefix(root + "/") for p in fs.find(root))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(endpoint: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto server exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto server did not answer on {endpoint} within {START_TIMEOUT_SECONDS} s")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """A moto S3 server on a free port of 127.0.0.1, for the whole session; stopped at its end."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(endpoint, server, log)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _new_bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """A new bucket on the local server, with this process's AWS_* variables pointing at it."""
    import s3fs

    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",  # SYNTHETIC credentials: moto accepts any
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # s3fs keeps one file system per set of arguments for the process's life; a cached one could carry another
    # test's settings.
    s3fs.S3FileSystem.clear_instance_cache()
    bucket = S3Bucket(name=f"test-{uuid.uuid4().hex[:12]}", endpoint=endpoint, env=env)
    bucket.fs.mkdir(bucket.name)
    return bucket


@pytest.fixture
def s3(s3_endpoint, monkeypatch) -> Iterator[S3Bucket]:
    """A new bucket for one test."""
    import s3fs

    yield _new_bucket(s3_endpoint, monkeypatch)
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="module")
def s3_module(s3_endpoint) -> Iterator[S3Bucket]:
    """A new bucket shared by a module's tests (for data that takes long to upload)."""
    import s3fs

    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _new_bucket(s3_endpoint, monkeypatch)
    s3fs.S3FileSystem.clear_instance_cache()
