"""The report's org charts on paper: every unit below the top up to the caps, else the ones changed most."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orgmodel.render import dot_available

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from orgmodel.cli import main
    from orgmodel.run.read import load_results

    out = tmp_path_factory.mktemp("paging") / "out"
    scenario = ROOT / "scenarios" / "large-community" / "scenario.yaml"
    assert main(["run", str(scenario), "--no-report", "--no-simulate", "--out", str(out)]) == 0
    return load_results(out)


def _moved_by_area(units, changes) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Members moved into or out of each unit below the top, walking parents one by one."""
    def area(uid: str) -> str | None:
        c = units.code(uid)
        while units.parent[c] >= 0 and units.parent[units.parent[c]] >= 0:
            c = int(units.parent[c])
        return str(units.ids[c]) if units.parent[c] >= 0 else None

    out: dict[str, int] = {}
    for f in changes["flows"]:
        for a in {area(f["from"]), area(f["to"])} - {None}:
            out[a] = out.get(a, 0) + int(f["count"])  # type: ignore[index]
    return out


def test_under_the_caps_every_unit_below_the_top_goes_on_paper(results) -> None:  # type: ignore[no-untyped-def]
    from orgmodel.report.paging import below_top, change_scores, paper_units

    for v in results.variants:
        shown = paper_units(v.units, change_scores(v.units, v.changes) if v.steps else {})
        assert list(shown.codes) == below_top(v.units).tolist() and shown.rest == 0, v.name
        assert shown.note("zh", v.name, baseline=v.is_baseline) == ""


def test_over_the_caps_the_units_changed_most_go_on_paper_and_the_note_says_so(results) -> None:  # type: ignore[no-untyped-def]
    from orgmodel.render.paper import paged_alone
    from orgmodel.report.paging import below_top, change_scores, paper_units

    v = results.variant("team-branches-all")
    t = v.units
    shown = paper_units(t, change_scores(t, v.changes), cap=3, shared_cap=4)
    codes = below_top(t)
    alone = paged_alone(t)
    assert shown.total == len(codes) == 62 and len(shown.codes) == 3 + 4 and shown.rest == 55
    assert list(shown.codes) == sorted(shown.codes)
    moved = _moved_by_area(t, v.changes)
    for group in (codes[alone[codes]], codes[~alone[codes]]):
        chosen = [c for c in group.tolist() if c in shown.codes]
        others = [c for c in group.tolist() if c not in shown.codes]
        assert chosen and others
        assert min(moved.get(str(t.ids[c]), 0) for c in chosen) >= max(moved.get(str(t.ids[c]), 0) for c in others)
    zh, en = shown.note("zh", v.name, baseline=False), shown.note("en", v.name, baseline=False)
    assert "7个下一级单位（共62个" in zh and "其余55个" in zh and "--variant team-branches-all --unit" in zh
    assert "only 7 of the 62 units" in en and "other 55" in en and "--unit <unit id> --paper a4" in en


@pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed (scripts/setup.sh installs it)")
def test_an_org_chart_on_paper_pages_only_the_units_chosen(results) -> None:  # type: ignore[no-untyped-def]
    from orgmodel.render.paper import org_chart_paper, paged_alone
    from orgmodel.report.paging import change_scores, paper_units

    v = results.variant("team-branches-all")
    t = v.units
    shown = paper_units(t, change_scores(t, v.changes), cap=2, shared_cap=0)
    pages = org_chart_paper(t, lang="en", title="T", only=shown.codes)
    names = [str(t.name[c]) for c in shown.codes]
    assert len(shown.codes) == 2 and all(paged_alone(t)[c] for c in shown.codes)
    assert [p.title for p in pages] == ["T (overview)"] + [f"T: {n}" for n in names]
    assert np.all(np.isin(shown.codes, np.flatnonzero(paged_alone(t))))
