"""MIRROR-INDEX.tsv is untrusted input: a local_path that leaves the mirror root refuses the whole index.

Every mirror here is a SYNTHETIC folder in tmp, with made-up files; nothing real is read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.mirror import INDEX_NAME, Mirror, MirrorError
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources.base import FetchContext

URL = "https://www.bls.gov/example/SYNTHETIC.csv"
HEADER = "# url\tlocal_path\trelation\treference_period\tnote"
RULE = "Paths must be relative and inside the mirror root, with no symlinks"


def _mirror(tmp_path: Path, *local_paths: str) -> Path:
    """A SYNTHETIC mirror: a good file on line 2, then one line per ``local_paths`` (lines 3, 4, ...)."""
    root = tmp_path / "mirror"
    (root / "good").mkdir(parents=True)
    (root / "good" / "a.csv").write_text("SYNTHETIC,a\n")
    lines = [HEADER, f"{URL}\tgood/a.csv\tidentical\t2025\tthe good one"]
    lines += [f"{URL}\t{path}\tidentical\t2025\tSYNTHETIC" for path in local_paths]
    (root / INDEX_NAME).write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file outside the mirror that an index must never be able to offer."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text("SYNTHETIC secret\n")
    return path


def test_a_clean_index_offers_its_files(tmp_path):
    mirror = Mirror(_mirror(tmp_path))
    entry = mirror.find(URL, hashlib.sha256(b"SYNTHETIC,a\n").hexdigest())
    assert entry is not None and entry.local_path == "good/a.csv"


def test_an_absolute_path_refuses_the_index(tmp_path, secret):
    root = _mirror(tmp_path, str(secret))
    with pytest.raises(MirrorError) as err:
        Mirror(root)
    assert f"line 3: local_path {str(secret)!r} is absolute" in str(err.value) and RULE in str(err.value)


def test_a_path_that_goes_up_refuses_the_index(tmp_path, secret):
    root = _mirror(tmp_path, "good/../../outside/secret.txt")
    with pytest.raises(MirrorError, match=r"line 3: local_path 'good/../../outside/secret.txt' goes up"):
        Mirror(root)


def test_a_symlinked_file_refuses_the_index(tmp_path, secret):
    root = _mirror(tmp_path, "good/link.csv")
    (root / "good" / "link.csv").symlink_to(secret)
    with pytest.raises(MirrorError, match=r"line 3: local_path 'good/link.csv' passes through the symlink good/link"):
        Mirror(root)


def test_a_symlinked_folder_refuses_the_index(tmp_path, secret):
    root = _mirror(tmp_path, "linked/secret.txt")
    (root / "linked").symlink_to(secret.parent, target_is_directory=True)
    with pytest.raises(MirrorError, match=r"line 3: .* passes through the symlink linked\b"):
        Mirror(root)


def test_a_symlink_that_stays_inside_the_root_is_refused_too(tmp_path):
    root = _mirror(tmp_path, "good/alias.csv")
    (root / "good" / "alias.csv").symlink_to(root / "good" / "a.csv")
    with pytest.raises(MirrorError, match="line 3"):
        Mirror(root)


def test_comment_lines_count_in_the_line_number(tmp_path, secret):
    root = _mirror(tmp_path)
    index = root / INDEX_NAME
    index.write_text(index.read_text() + "# a comment\n\n" + f"{URL}\t{secret}\tidentical\t2025\tx\n")
    with pytest.raises(MirrorError, match="line 5"):
        Mirror(root)


def test_a_mirror_root_that_is_itself_a_symlink_is_accepted(tmp_path):
    real = _mirror(tmp_path)
    link = tmp_path / "mirror-link"
    link.symlink_to(real, target_is_directory=True)
    assert [e.local_path for e in Mirror(link).entries(URL)] == ["good/a.csv"]


def test_a_file_swapped_for_a_symlink_after_loading_is_refused_when_offered(tmp_path, secret):
    """The refresh reads entries through FetchContext.get: it must not pin (nor push) the swapped-in file."""
    root = _mirror(tmp_path)
    mirror = Mirror(root)
    (root / "good" / "a.csv").unlink()
    (root / "good" / "a.csv").symlink_to(secret)
    ctx = FetchContext(store=SnapshotStore(tmp_path / "staging"), mirror=mirror)
    with pytest.raises(MirrorError, match="passes through the symlink good/a.csv"):
        ctx.get(URL, source_id="ces", part="x", filename="a.csv", license="", citation="", expect="csv")
    assert not (tmp_path / "staging" / "sha256").exists()
    with pytest.raises(MirrorError):
        mirror.find(URL, hashlib.sha256(b"SYNTHETIC secret\n").hexdigest())


def test_a_folder_swapped_for_a_symlink_is_not_followed_when_read(tmp_path, secret):
    """Mirror.open walks the path without following links, so a swap after every check still reads nothing."""
    root = _mirror(tmp_path)
    mirror = Mirror(root)
    entry = mirror.entries(URL)[0]
    (root / "good" / "a.csv").unlink()
    (root / "good").rmdir()
    (root / "good").symlink_to(secret.parent, target_is_directory=True)
    (secret.parent / "a.csv").write_text("SYNTHETIC outside\n")
    with pytest.raises(MirrorError, match="passes through a symlink at 'good'"):
        mirror.open(entry)
