"""Diagrams with Graphviz: org charts and before/after charts, as DOT text and rendered files.

Charts draw stored results: the unit tables, changes and findings of a results folder
(:func:`orgmodel.run.results.load_results`); nothing here counts members or compares
structures. Charts are DOT text (no Python Graphviz binding needed); :func:`render` and :func:`run_dot` run the
``dot`` program (``apt-get install graphviz``) to make SVG, PNG or PDF. Large structures are
collapsed to a budget of boxes (:mod:`orgmodel.render.view`), wide levels wrap into a page-like
shape (:mod:`orgmodel.render.layout`), and Chinese labels use a CJK font
(:data:`orgmodel.render.dot.FONT`).

>>> from orgmodel.testing_data import tiny_structure
>>> dot = org_chart(tiny_structure(), lang="en", title="Demo")
>>> dot.startswith("digraph orgchart {")
True
"""

from __future__ import annotations

import os
from pathlib import Path

from orgmodel.errors import UserError
from orgmodel.files import atomic_file
from orgmodel.render.diff import (
    diff_chart,
    flow_codes,
    small_multiples_svg,
    unit_changes,
    variant_diffs,
)
from orgmodel.render.dot import FONT, FORMATS, dot_available, run_dot
from orgmodel.render.labels import findings_by_unit
from orgmodel.render.orgchart import org_chart, org_chart_pages
from orgmodel.render.notebook import structure_svg
from orgmodel.render.view import DEFAULT_BUDGET, budgeted_view

__all__ = [
    "org_chart",
    "org_chart_pages",
    "diff_chart",
    "variant_diffs",
    "small_multiples_svg",
    "flow_codes",
    "unit_changes",
    "findings_by_unit",
    "budgeted_view",
    "render",
    "structure_svg",
    "run_dot",
    "dot_available",
    "DEFAULT_BUDGET",
    "FONT",
    "FORMATS",
]


def render(dot_text: str, path: str | os.PathLike[str], *, timeout: float = 300.0, dpi: float | None = None) -> Path:
    """Draw DOT text into ``path``: ``.svg``, ``.png`` or ``.pdf`` by its suffix.

    The file is written atomically (a temporary file in the same folder, then renamed), so a
    failed or interrupted run never leaves half a chart. Returns the path.
    """
    out = Path(path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UserError(f"cannot draw a chart into {out.name!r}: use a .svg, .png or .pdf file name")
    data = run_dot(dot_text, fmt, timeout=timeout, dpi=dpi)
    with atomic_file(out) as tmp:
        tmp.write_bytes(data)
    return out
