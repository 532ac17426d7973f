"""Outputs appear whole or not at all: one file or one folder written aside, then moved in place.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> with atomic_file(target) as tmp:
...     _ = tmp.write_text("done", encoding="utf-8")
>>> target.read_text(encoding="utf-8")
'done'
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_file", "write_text_atomic", "replace_folder"]


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` whole or not at all."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def replace_folder(new: Path, out: Path) -> None:
    """Put folder ``new`` where ``out`` is, keeping the old one until the new one is in place."""
    # tempfile.mkdtemp makes the folder private (0700); results are an ordinary folder
    umask = os.umask(0)
    os.umask(umask)
    new.chmod(0o777 & ~umask)
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
