"""Which units of an org chart the report puts on paper: all, up to two caps.

On paper an org chart that does not fit one page is an overview and, for the units one level
below the top (each area's general branch or branch), a page of its own for each that has units
two levels below it and pages of several (up to 12 a page) for the others (see
:func:`orgmodel.render.paper.org_chart_paper`). A district of a million members has thousands of
such units: a printed report of thousands of pages serves no reader. So the report gives pages of
their own to at most :data:`PAPER_UNITS` units and puts at most :data:`PAPER_SHARED_UNITS` on
pages of several, per org chart: all of them where there are no more (the ready scenarios),
otherwise those the variant changes most (members moved into or out of the unit or anything
below it, then units founded, dissolved, retyped, moved or renamed there, then the unit's
members; the baseline's chart takes the sums over every variant). The pages keep the order of
the chart; the note under the chart says how many units are shown out of how many, and that the
others are counted in the overview's count boxes and in every table of the report, and drawn on request
(``orgmodel chart <results> --variant <name> --unit <id> --paper a4``).

Everything here reads the stored unit tables and changes; nothing is measured again.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.run.tables import unit_table
>>> t = unit_table(tiny_structure())
>>> [str(t.ids[c]) for c in below_top(t)], int(area_of(t)[t.code("g1")]) == t.code("b1")
(['b1', 'b2'], True)
>>> scores = {"b2": (3, 0)}
>>> shown = paper_units(t, scores, cap=1, shared_cap=1)
>>> [str(t.ids[c]) for c in shown.codes], shown.rest
(['b2'], 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from orgmodel.render.paper import paged_alone
from orgmodel.report.model import text
from orgmodel.run.tables import UnitTable

__all__ = ["PAPER_UNITS", "PAPER_SHARED_UNITS", "PaperUnits", "below_top", "area_of", "change_scores", "paper_units"]

#: most units one level below the top an org chart gives pages of their own in the report
PAPER_UNITS = 40
#: most units one level below the top an org chart puts on pages of several in the report
PAPER_SHARED_UNITS = 240

#: what a chart's scores count per unit id: (members moved in or out, units changed)
Scores = Mapping[str, tuple[int, int]]

_UNIT_CHANGES = ("created", "dissolved", "retyped", "reparented", "renamed")


@dataclass(frozen=True)
class PaperUnits:
    """The units below the top a chart puts on paper (codes, chart order) out of how many."""

    codes: tuple[int, ...]
    total: int
    cap: int = PAPER_UNITS
    shared_cap: int = PAPER_SHARED_UNITS

    @property
    def rest(self) -> int:
        """Units below the top left off the paper (they are in the overview and the tables)."""
        return self.total - len(self.codes)

    def note(self, lang: str, variant: str, *, baseline: bool) -> str:
        """The sentence under the chart when some units are left off the paper ('' when none are)."""
        if not self.rest:
            return ""
        order = text(lang, "各方案调整人数最多的", "those the variants change most") if baseline else \
            text(lang, "本方案调整人数最多的", "those this variant changes most")
        return text(
            lang,
            f"纸面上只画出{order}{len(self.codes):,}个下一级单位（共{self.total:,}个；单独成页的至多"
            f"{self.cap}个，合页的至多{self.shared_cap}个）；其余{self.rest:,}个计入总览页的计数框和本报告的各个表格，"
            f"任一单位的分页图可用“orgmodel chart 结果目录 --variant {variant} --unit 单位编号 --paper a4”画出。",
            f"On paper only {len(self.codes):,} of the {self.total:,} units one level below the top are drawn "
            f"({order}: at most {self.cap} with pages of their own, {self.shared_cap} on shared pages); the "
            f"other {self.rest:,} are counted in the overview's count boxes and in every table of this report, and "
            f"“orgmodel chart <results> --variant {variant} --unit <unit id> --paper a4” draws any of them.")


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


def paper_units(t: UnitTable, scores: Scores, cap: int = PAPER_UNITS,
                shared_cap: int = PAPER_SHARED_UNITS) -> PaperUnits:
    """The units below the top of ``t`` that go on paper: of those with pages of their own and of
    those sharing pages, all when at most ``cap`` (``shared_cap``), else the ones with the highest
    scores (members moved, units changed, then members; then chart order)."""
    codes = below_top(t)
    alone = paged_alone(t)[codes]
    keep = [_top(t, codes[alone], scores, cap), _top(t, codes[~alone], scores, shared_cap)]
    return PaperUnits(tuple(np.sort(np.concatenate(keep)).tolist()), len(codes), cap, shared_cap)


def _top(t: UnitTable, codes: np.ndarray, scores: Scores, cap: int) -> np.ndarray:
    if len(codes) <= cap:
        return codes
    ids = t.ids[codes].tolist()
    moved = np.array([scores.get(str(u), (0, 0))[0] for u in ids], dtype=np.int64)
    changed = np.array([scores.get(str(u), (0, 0))[1] for u in ids], dtype=np.int64)
    return codes[np.lexsort((codes, -t.members[codes], -changed, -moved))[:cap]]
