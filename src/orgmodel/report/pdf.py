"""The report as one PDF, printed by headless Chromium through the report's print stylesheet.

Chromium (Debian's ``chromium`` package; ``scripts/setup.sh`` installs it) prints
``report.html`` on A4 (``@page`` rules: portrait, landscape chart pages, page numbers) and embeds
the fonts it uses, the CJK font included. The PDF is written aside and put in place whole.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from orgmodel.errors import UserError
from orgmodel.files import atomic_file

__all__ = ["write_pdf", "chromium"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str | None:
    """The Chromium program on the PATH, or None."""
    return next((p for p in map(shutil.which, _NAMES) if p), None)


def write_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 300.0) -> Path:
    """Print the HTML file ``html`` into the PDF file ``pdf``; returns its path."""
    program = chromium()
    if program is None:
        raise UserError("cannot write the PDF: Chromium is not installed (apt-get install chromium)")
    source = Path(html).resolve()
    out = Path(pdf)
    with tempfile.TemporaryDirectory(prefix="orgmodel-chromium-") as profile, atomic_file(out) as tmp:
        cmd = [program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", "--virtual-time-budget=10000",
               f"--print-to-pdf={tmp}", source.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise UserError(f"Chromium did not print {source.name} within {timeout:.0f} s") from None
        if proc.returncode != 0 or not tmp.is_file() or tmp.read_bytes()[:5] != b"%PDF-":
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"Chromium could not print {source.name}: {last}")
    return out
