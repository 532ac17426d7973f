"""Notebook display of a structure, attached from the render side (the model imports no rendering).

Importing this module (``import orgmodel`` does) gives :class:`~orgmodel.model.structure.Structure`
a ``_repr_svg_``: Jupyter then shows a structure as its org chart, collapsed to 150 boxes, when
Graphviz is installed.

>>> from orgmodel.model.structure import Structure
>>> Structure._repr_svg_ is _repr_svg_
True
"""

from __future__ import annotations

from orgmodel.model.structure import Structure
from orgmodel.render.dot import dot_available, run_dot
from orgmodel.render.orgchart import org_chart

__all__ = ["structure_svg"]


def structure_svg(structure: Structure, *, budget: int = 150) -> str | None:
    """A structure's org chart as SVG text, or None without Graphviz."""
    if not dot_available():
        return None
    return run_dot(org_chart(structure, budget=budget), "svg").decode("utf-8")


def _repr_svg_(self: Structure) -> str | None:
    """Jupyter shows a structure as its org chart (collapsed to 150 boxes) when Graphviz is there."""
    return structure_svg(self)


Structure._repr_svg_ = _repr_svg_  # type: ignore[attr-defined]
