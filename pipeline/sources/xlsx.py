"""Open BLS workbooks with openpyxl (DuckDB's excel extension would need the network), zipped or not.

Both zips (the download and the workbook inside it) are checked against the decompression limits first.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import openpyxl

from pipeline.sources.errors import SourceFileError
from pipeline.sources.limits import check_zip, read_zip_member

# BLS workbooks carry extensions openpyxl does not know; it warns while reading rows. They hold no data we use.
warnings.filterwarnings("ignore", message="Unknown extension is not supported", module="openpyxl")


def open_workbook(path: Path, filename: str, read_only: bool = True):
    """A workbook from an .xlsx file, or from the one .xlsx member of a BLS .zip download.

    Read-only mode streams rows cheaply but loses merged-cell ranges; pass read_only=False when headers span
    merged cells (older EP editions).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(zf, filename)
            names = zf.namelist()
            if "[Content_Types].xml" in names:  # the file is itself a workbook
                # As bytes: openpyxl refuses a path without an .xlsx suffix, and store objects have none.
                source = io.BytesIO(Path(path).read_bytes())
            else:
                members = [n for n in names if n.lower().endswith(".xlsx")]
                if len(members) != 1:
                    raise SourceFileError(
                        filename, f"is a zip with {len(members)} workbooks ({members[:4]}); expected exactly one."
                    )
                source = io.BytesIO(read_zip_member(zf, members[0], filename))
                # The workbook is a zip too, and openpyxl inflates its members: check what they declare.
                # (zipfile never inflates a member past its declared size, so declared sizes bound openpyxl.)
                with zipfile.ZipFile(source) as workbook:
                    check_zip(workbook, f"{filename} (workbook {members[0]})")
        return openpyxl.load_workbook(source, read_only=read_only, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SourceFileError(
            filename,
            f"cannot be opened as a workbook ({exc}).",
            "A truncated download or an error page would do this; fetch it again.",
        ) from exc
