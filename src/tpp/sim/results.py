"""Simulation results on disk: lists of row dicts as Parquet files.

Columns are the union of the rows' keys in the order first seen, so a row without a column
stores null there; NaN stays NaN. A file is written next to its final name and renamed into
place, so a reader (or a crashed run) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FILE_MODE = 0o644  # mkstemp creates 0600; results are meant to be shared


def write_table(path: Path | str, rows: list[dict]) -> Path:
    """Write `rows` to the Parquet file `path` (parent directories created) and return the path."""
    path = Path(path)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    arrays = {}
    for column in columns:
        try:
            arrays[column] = pa.array([row.get(column) for row in rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ValueError(f"{path}: column {column!r} mixes value types ({error})") from error
    table = pa.table(arrays)

    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(descriptor)
    try:
        # Written by name, not through a Python file object: pyarrow's own file is faster and
        # keeps Python out of its writer threads.
        pq.write_table(table, temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_table(path: Path | str) -> list[dict]:
    """The rows of a Parquet file written by `write_table`."""
    # By name on purpose: pyarrow 26 reading through a Python file object with threads can
    # abort the interpreter at exit.
    return pq.read_table(str(path)).to_pylist()
