"""Every number on every chart of every ready scenario is the number of members under it.

For each ready scenario in ``scenarios/`` the report's charts are drawn from a results folder
(org charts of the baseline and of each variant, before/after charts, each whole for the screen
and as its A4 pages: overviews, per-area pages, pages of several). Every box of every SVG is read
back and checked against the members the results folder assigns (``assignment.parquet``: each
member's branch, group and status), counted here member by member, never from the chart code's
own sums:

* a unit box says how many distinct members are under the unit (its branch or group in the
  unit's subtree) and how many of them are full members; a before/after box says it before
  (the baseline's assignment) and after (the variant's);
* a count box (collapsed units) says how many units it stands for and how many distinct members
  are under them (after the change, in a before/after chart);
* the caption's total is the members under the chart's top units;
* a before/after page's flow table lists the stored flows, largest first, with their counts.

And every page the report puts on paper keeps its text at 7 pt or more when printed on A4.

A member in a party group is also in its branch: a box must count them once.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from orgmodel.render import dot_available

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "scenarios").glob("*/scenario.yaml"))
SVG = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed (scripts/setup.sh installs it)")

_SIZE = re.compile(r"^(?:直属 ([\d,]+) · )?(?:共 )?([\d,]+)(?: → ([\d,]+))? 人(?:（正式 ([\d,]+)）)?$")
_SUMMARY = re.compile(r"^共 ([\d,]+) 个组织单位、([\d,]+) 人（正式 ([\d,]+)）$")
_HIDDEN = re.compile(r"^(其中|另有) (.+)$")


def _n(text: str | None) -> int | None:
    return None if text is None else int(text.replace(",", ""))


def _up(parent: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Parents within the chart (-1 at its top)."""
    p = np.asarray(parent, dtype=np.int64)
    ok = (p >= 0) & inside & inside[np.maximum(p, 0)]
    return np.where(ok, p, -1)


def _down(up: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` spread to everything below the units it holds."""
    out = mask.copy()
    while True:
        more = out | ((up >= 0) & out[np.maximum(up, 0)])
        if (more == out).all():
            return out
        out = more


class Counts:
    """Members under each unit code of one variant, counted from its stored assignment."""

    def __init__(self, variant: object, full_statuses: Iterable[str]) -> None:
        units = variant.units  # type: ignore[attr-defined]
        self.units = units
        table = pq.read_table(variant._path("assignment.parquet")).to_pydict()  # type: ignore[attr-defined]
        self.n = units.n_units
        self.branch = np.array([units.code(b) for b in table["branch"]], dtype=np.int64)
        self.group = np.array([-1 if g is None else units.code(g) for g in table["group"]], dtype=np.int64)
        self.full = np.isin(np.array(table["status"], dtype=object), list(full_statuses))

    def under(self, parent: np.ndarray, codes: Iterable[int]) -> tuple[int, int]:
        """Distinct members (and full members) whose branch or group lies under any of ``codes``
        in the forest given by ``parent`` (every unit code counts, dissolved ones hold nobody)."""
        mask = np.zeros(self.n, dtype=bool)
        mask[list(codes)] = True
        under = _down(_up(parent, np.ones(self.n, dtype=bool)), mask)
        hit = under[self.branch] | ((self.group >= 0) & under[np.maximum(self.group, 0)])
        return int(hit.sum()), int((hit & self.full).sum())

    def direct(self, code: int) -> int:
        """Members whose branch or group is the unit itself."""
        return int(((self.branch == code) | (self.group == code)).sum())


def _nodes(svg: str) -> dict[str, list[str]]:
    """Node name -> its text lines, and the graph's own texts under the key ''."""
    root = ET.fromstring(svg.encode("utf-8"))
    out: dict[str, list[str]] = {"": []}
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if g.get("class") == "node" and title is not None:
            out[title.text or ""] = [(t.text or "").strip() for t in g.iter(f"{SVG}text")]
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    out[""] = [(t.text or "").strip() for t in graph.findall(f"{SVG}text")]
    return out


def _size_line(lines: list[str]) -> tuple[int | None, int, int | None, int | None] | None:
    for line in lines:
        m = _SIZE.match(line)
        if m:
            return _n(m.group(1)), _n(m.group(2)) or 0, _n(m.group(3)), _n(m.group(4))
    return None


def _hidden_units(lines: list[str]) -> int:
    """Units a count box says it stands for: "其中 37 个党支部、12 个党小组、其他 3 个"."""
    start = next(i for i, line in enumerate(lines) if _HIDDEN.match(line))
    end = next(i for i in range(start, len(lines)) if _SIZE.match(lines[i]))  # the head may take lines
    return sum(int(n.replace(",", "")) for n in re.findall(r"([\d,]+)", " ".join(lines[start:end])))


def _hidden_word(lines: list[str]) -> str:
    """"其中" (the box's members are among those of the unit above it) or "另有" (hidden top units)."""
    return next(m.group(1) for m in map(_HIDDEN.match, lines) if m)


def _nearest_drawn(up: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """The nearest drawn ancestor-or-self of every unit (-1: none)."""
    rep = np.where(drawn, np.arange(len(up)), -1)
    while True:
        more = np.where(rep >= 0, rep, np.where(up >= 0, rep[np.maximum(up, 0)], -1))
        if (more == rep).all():
            return rep
        rep = more


def _check_chart(svg: str, where: str, *, after: Counts, before: Counts | None, parent: np.ndarray,
                 inside: np.ndarray) -> list[str]:
    """Every box of one chart; returns the wrong ones."""
    nodes = _nodes(svg)
    n = len(inside)
    drawn = np.zeros(n, dtype=bool)
    drawn[[int(k[1:]) for k in nodes if re.fullmatch(r"u\d+", k)]] = True
    assert drawn.any(), where
    up = _up(parent, inside)
    top = _page_top(drawn, up)
    if top is not None:  # a page of one unit's subtree: only that subtree is the chart
        only = np.zeros(n, dtype=bool)
        only[top] = True
        inside = inside & _down(up, only)
        up = _up(parent, inside)
        up[top] = -1
    rep = _nearest_drawn(up, drawn)
    wrong = []
    for key, lines in nodes.items():
        if key.startswith("u"):
            c = int(key[1:])
            # a unit that holds nobody but counts participants says only how many take part
            size = _size_line(lines) or (None, 0, None, None)
            direct, first, then, full = size
            if before is None:
                want: tuple[int, ...] = after.under(parent, [c])
                got: tuple[int | None, ...] = (first, full if first else 0)
                if direct is not None and direct != after.direct(c):
                    wrong.append(f"{where} {key} {lines[0]}: says {direct} direct, results {after.direct(c)}")
            else:
                was = before.under(before.units.parent, [c]) if c < before.n else (0, 0)
                now = after.under(after.units.parent, [c]) if after.units.live_org[c] else (0, 0)
                if then is not None:
                    want, got = (was[0], now[0]), (first, then)
                else:
                    want, got = ((now if after.units.live_org[c] else was)[0],), (first,)
            if got != want:
                wrong.append(f"{where} {key} {lines[0]}: shows {got}, members under it {want}")
        elif key.startswith("m"):
            owner = -1 if key == "mroot" else int(key[1:])
            hidden = inside & ~drawn & (rep == owner) if owner >= 0 else inside & ~drawn & (rep < 0)
            # the top units of the hidden subtrees, whose members the box stands for
            tops = np.flatnonzero(hidden & ((up < 0) | drawn[np.maximum(up, 0)])).tolist()
            size = _size_line(lines)
            assert size is not None, (where, key, lines)
            _, shown, _, full = size
            want = after.under(parent, tops) if tops else (0, 0)
            if (shown, full if shown else 0) != want:
                wrong.append(f"{where} {key} under {owner}: shows {shown} ({full} full), members under it {want}")
            if _hidden_word(lines) != ("其中" if owner >= 0 else "另有"):
                wrong.append(f"{where} {key}: a box under {owner} says {_hidden_word(lines)}")
            if _hidden_units(lines) != int(hidden.sum()):
                wrong.append(f"{where} {key}: says {_hidden_units(lines)} units, stands for {int(hidden.sum())}")
    for line in nodes[""]:
        m = _SUMMARY.match(line)
        if m:
            roots = np.flatnonzero(inside & (up < 0)).tolist()
            want = (int(inside.sum()), *after.under(parent, roots))
            got = tuple(_n(g) for g in m.groups())
            if got != want:
                wrong.append(f"{where} caption: {line}, results say {want}")
    return wrong


def _page_top(drawn: np.ndarray, up: np.ndarray) -> int | None:
    """The unit a page is drawn from when it draws one unit's subtree: the one drawn unit whose
    parent is not drawn, itself not a top unit (None for a whole chart or an overview)."""
    codes = np.flatnonzero(drawn)
    tops = [int(c) for c in codes if up[c] < 0 or not drawn[up[c]]]
    if len(tops) == 1 and up[tops[0]] >= 0:
        return tops[0]
    return None


def _flow_rows(svg: str) -> list[tuple[str, str, int]]:
    """The rows of the flow table beside a before/after page: (from, to, members)."""
    nodes = _nodes(svg)
    lines = nodes.get("flow_table", [])
    if not lines:
        return []
    cells = lines[4:]  # title, from, to, members
    rows = []
    for i in range(0, len(cells) - 2, 3):
        if not re.fullmatch(r"[\d,]+", cells[i + 2]):
            break
        rows.append((cells[i], cells[i + 1], int(cells[i + 2].replace(",", ""))))
    return rows


@pytest.mark.parametrize("folder", SCENARIOS)
def test_every_box_of_every_chart_counts_the_members_under_it_and_prints_at_7pt(folder: str, tmp_path: Path) -> None:
    from orgmodel.cli import main
    from orgmodel.render.paper import MIN_TEXT_PT, fit_a4
    from orgmodel.report.build import draw_charts
    from orgmodel.run.read import load_results

    scenario = ROOT / "scenarios" / folder / "scenario.yaml"
    assert main(["run", str(scenario), "--no-report", "--no-simulate", "--out", str(tmp_path / "out")]) == 0
    results = load_results(tmp_path / "out")
    statuses = results.kinds.pack.full_statuses
    counts = {v.name: Counts(v, statuses) for v in results.variants}
    base = counts[results.baseline.name]
    charts, diffs = draw_charts(results, tmp_path / "diagrams", lang="zh", formats=("svg",))
    wrong: list[str] = []
    checked = 0
    for d in charts:
        name = d.key.removesuffix("-orgchart")
        c = counts[results.baseline.name if name == "baseline" else name]
        t = c.units
        for i, svg in enumerate([d.svg] + [p.svg for p in d.pages]):
            wrong += _check_chart(svg, f"{d.key}[{i}]", after=c, before=None, parent=t.parent, inside=t.live_org)
            checked += 1
    for d in diffs:
        name = d.key.removesuffix("-diff")
        v = results.variant(name)
        after, t, b = counts[name], v.units, results.baseline.units
        n = t.n_units
        live_b = np.zeros(n, dtype=bool)
        live_b[: b.n_units] = b.live_org
        parent_b = np.full(n, -1, dtype=np.int64)
        parent_b[: b.n_units] = b.parent
        parent = np.where(t.live_org, t.parent, parent_b)  # the union of before and after
        for i, svg in enumerate([d.svg] + [p.svg for p in d.pages]):
            wrong += _check_chart(svg, f"{d.key}[{i}]", after=after, before=base, parent=parent,
                                  inside=t.live_org | live_b)
            checked += 1
        stored = [(f["from_name"], f["to_name"], int(f["count"])) for f in v.changes["flows"]]
        for p in d.pages:
            rows = _flow_rows(p.svg)
            assert rows == stored[: len(rows)], (d.key, rows[:3], stored[:3])
    assert checked >= len(charts) + len(diffs)
    assert not wrong, "\n".join(wrong[:20]) + f"\n({len(wrong)} wrong)"
    # and each page the report puts on paper keeps its text at 7 pt or more, measured from the
    # SVG file the report prints (its font sizes and its scale to A4)
    small = []
    for d in charts + diffs:
        assert d.pages, d.key
        for page in d.pages:
            fit = fit_a4((tmp_path / page.files[0]).read_text(encoding="utf-8"))
            if fit.min_pt < MIN_TEXT_PT:
                small.append(f"{page.title}: {fit.min_pt:.1f} pt")
    assert not small, small

