"""Which units of an org chart the report gives A4 pages of their own: all, up to a cap.

On paper an org chart that does not fit one page is an overview and a page for each unit one
level below the top (each area's general branch or branch; those with nothing two levels below
share pages of several, see :func:`orgmodel.render.paper.org_chart_paper`). A district of a
million members has thousands of such units: a printed report of thousands of pages serves no
reader. So the report draws at most :data:`PAPER_UNITS` of them per org chart: all of them when
there are that many or fewer (the ready scenarios), otherwise those the variant changes most
(members moved into or out of the unit or anything below it, then units founded, dissolved,
retyped, moved or renamed there, then the unit's members; the baseline's chart takes the sums
over every variant). The pages keep the order of the chart; the note under the chart says how
many units are shown out of how many, and that the others are counted in every table of the
report and drawn on request (``orgmodel chart <results> --variant <name> --unit <id> --paper a4``).

Everything here reads the stored unit tables and changes; nothing is measured again.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.run.tables import unit_table
>>> t = unit_table(tiny_structure())
>>> [str(t.ids[c]) for c in below_top(t)], int(area_of(t)[t.code("g1")]) == t.code("b1")
(['b1', 'b2'], True)
>>> scores = {"b2": (3, 0)}
>>> [str(t.ids[c]) for c in paper_units(t, scores, cap=1).codes], paper_units(t, scores, cap=1).rest
(['b2'], 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from orgmodel.report.model import text
from orgmodel.run.tables import UnitTable

__all__ = ["PAPER_UNITS", "PaperUnits", "below_top", "area_of", "change_scores", "paper_units"]

#: most units one level below the top an org chart gives pages of their own in the report
PAPER_UNITS = 40

#: what a chart's scores count per unit id: (members moved in or out, units changed)
Scores = Mapping[str, tuple[int, int]]

_UNIT_CHANGES = ("created", "dissolved", "retyped", "reparented", "renamed")


@dataclass(frozen=True)
class PaperUnits:
    """The units below the top a chart puts on paper (codes, chart order) out of how many."""

    codes: tuple[int, ...]
    total: int
    cap: int

    @property
    def rest(self) -> int:
        """Units below the top without pages of their own."""
        return self.total - len(self.codes)

    def note(self, lang: str, variant: str, *, baseline: bool) -> str:
        """The sentence under the chart when some units have no pages ('' when all have)."""
        if not self.rest:
            return ""
        order = text(lang, "各方案调整最多的", "the ones the variants change most") if baseline else \
            text(lang, "本方案调整最多的", "the ones this variant changes most")
        return text(
            lang,
            f"纸面上只为{order}{len(self.codes):,}个下一级单位各出分页（共{self.total:,}个，上限{self.cap}个）；"
            f"其余{self.rest:,}个不单独成页，但都计入本报告的各个表格，任一单位的分页图可用"
            f"“orgmodel chart 结果目录 --variant {variant} --unit 单位编号 --paper a4”画出。",
            f"On paper only {len(self.codes):,} of the {self.total:,} units one level below the top get pages "
            f"of their own ({order}; at most {self.cap}); the other {self.rest:,} are counted in every table of "
            f"this report, and “orgmodel chart <results> --variant {variant} --unit <unit id> --paper a4” "
            "draws any of them.")


def below_top(t: UnitTable) -> np.ndarray:
    """Live organisation units whose parent is a live top unit, in code order (the units
    :func:`orgmodel.render.paper.org_chart_paper` pages)."""
    live = t.live_org
    parent = np.asarray(t.parent, dtype=np.int64)
    top = live & (parent < 0)
    return np.flatnonzero(live & (parent >= 0) & top[np.maximum(parent, 0)])


def area_of(t: UnitTable) -> np.ndarray:
    """Each unit code's ancestor one level below the top (itself when it is one; -1 for a top unit)."""
    parent = np.asarray(t.parent, dtype=np.int64)
    codes = np.arange(len(parent), dtype=np.int64)
    grand = np.where(parent >= 0, parent[np.maximum(parent, 0)], -1)
    step = np.where((parent < 0) | (grand < 0), codes, parent)  # stop at a top unit or one below it
    while True:  # pointer jumping: log(depth) passes
        nxt = step[step]
        if np.array_equal(nxt, step):
            break
        step = nxt
    return np.where(parent < 0, -1, step)


def change_scores(t: UnitTable, changes: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """Per unit id one level below the top of ``t`` (a variant's stored table): the members its
    stored flows moved into or out of the unit and everything below it, and the units founded,
    dissolved, retyped, moved or renamed there."""
    area = area_of(t)
    index = t._index

    def area_id(unit_id: str) -> str | None:
        c = index.get(unit_id)
        a = -1 if c is None else int(area[c])
        return str(t.ids[a]) if a >= 0 else None

    moved: dict[str, int] = {}
    for flow in changes.get("flows", ()):
        ends = {area_id(flow["from"]), area_id(flow["to"])} - {None}
        for a in ends:
            moved[a] = moved.get(a, 0) + int(flow["count"])  # type: ignore[index]
    changed: dict[str, int] = {}
    for key in _UNIT_CHANGES:
        for row in changes.get(key, ()):
            a = area_id(row["id"])
            if a is not None:
                changed[a] = changed.get(a, 0) + 1
    return {a: (moved.get(a, 0), changed.get(a, 0)) for a in moved.keys() | changed.keys()}


def summed(scores: Iterable[Scores]) -> dict[str, tuple[int, int]]:
    """Scores of several variants added up by unit id."""
    out: dict[str, tuple[int, int]] = {}
    for one in scores:
        for a, (m, c) in one.items():
            m0, c0 = out.get(a, (0, 0))
            out[a] = (m0 + m, c0 + c)
    return out


def paper_units(t: UnitTable, scores: Scores, cap: int = PAPER_UNITS) -> PaperUnits:
    """The units below the top of ``t`` that get pages: all when at most ``cap``, else the
    ``cap`` with the highest scores (members moved, units changed, then members; then chart order)."""
    codes = below_top(t)
    if len(codes) <= cap:
        return PaperUnits(tuple(codes.tolist()), len(codes), cap)
    ids = t.ids[codes].tolist()
    moved = np.array([scores.get(str(u), (0, 0))[0] for u in ids], dtype=np.int64)
    changed = np.array([scores.get(str(u), (0, 0))[1] for u in ids], dtype=np.int64)
    order = np.lexsort((codes, -t.members[codes], -changed, -moved))[:cap]
    return PaperUnits(tuple(np.sort(codes[order]).tolist()), len(codes), cap)
