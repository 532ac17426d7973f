"""Charts: safe DOT, budgeted views, org charts, diff charts, rendering with Graphviz.

Tests that run Graphviz ``dot`` are skipped (with the reason) when it is not installed; the
DOT-text tests run everywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from orgmodel.model.apply import apply
from orgmodel.errors import UserError
from orgmodel.model.kinds import KindTable
from orgmodel.model.plan import PlanBuilder
from orgmodel.render import (
    budgeted_view,
    diff_chart,
    dot_available,
    findings_by_unit,
    flow_codes,
    org_chart,
    org_chart_pages,
    render,
    run_dot,
    small_multiples_svg,
    unit_changes,
)
from orgmodel.render.dot import FONT, dot_executable, html, quote
from orgmodel.render.view import forest_of, collapse
from orgmodel.model.structure import Structure
from orgmodel.run.changes import changes_between, variant_tables
from orgmodel.run.tables import UnitTable, unit_table
from orgmodel.testing import KIND_MAPS, _kinds, _population, _sizes_summing_to, contract_baselines
from orgmodel.testing_data import tiny_structure, toy_kinds
from orgmodel_party.kinds import PARTY_PACK

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz 'dot' is not installed (apt-get install graphviz)")

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
QISAN = Path(__file__).resolve().parents[1] / "scenarios" / "qisan" / "scenario.yaml"


# --- helpers -----------------------------------------------------------------------------


def svg_of(dot: str) -> ET.Element:
    """Render to SVG and parse it (a parse error fails the test)."""
    return ET.fromstring(run_dot(dot, "svg"))


def node_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def boxes_in(dot: str) -> list[str]:
    """Names of the drawn boxes in DOT text (nodes with a label, not layout points)."""
    return re.findall(r"^  (\w+) \[label=", dot, flags=re.M)


def community(n_areas: int = 39, seed: int = 3) -> Structure:
    """The seed-004 large community: a working committee, 39 residential-area general branches,
    each with 2-5 team branches on interest teams and a comprehensive branch."""
    rng = np.random.default_rng(seed)
    teams = ["议事团", "歌咏队", "戏曲队", "鼓操队", "巡逻队"]
    units = [
        {"id": "street", "kind": "party.street", "name": "某街道"},
        {"id": "wc", "kind": "party.working_committee", "name": "某街道社区党工委", "built_on": ["street"]},
    ]
    members = []
    m = 0
    for a in range(n_areas):
        units.append({"id": f"a{a}", "kind": "party.residential_area", "name": f"第{a + 1}居民区", "parent": "street"})
        units.append({"id": f"gb{a}", "kind": "party.general_branch", "name": f"第{a + 1}居民区党总支",
                      "parent": "wc", "built_on": [f"a{a}"]})
        for t in range(int(rng.integers(2, 6))):
            units.append({"id": f"a{a}t{t}", "kind": "party.team", "name": f"{a + 1}区{teams[t]}", "parent": f"a{a}"})
            units.append({"id": f"a{a}b{t}", "kind": "party.branch", "name": f"{teams[t]}党支部",
                          "parent": f"gb{a}", "built_on": [f"a{a}t{t}"], "tags": ["team"]})
            for _ in range(int(rng.integers(15, 60))):
                members.append({"id": f"m{m}", "branch": f"a{a}b{t}", "status": "full"})
                m += 1
        units.append({"id": f"a{a}c", "kind": "party.branch", "name": "综合党支部", "parent": f"gb{a}",
                      "built_on": [f"a{a}"], "tags": ["comprehensive"]})
        for _ in range(int(rng.integers(20, 50))):
            members.append({"id": f"m{m}", "branch": f"a{a}c", "status": "probationary" if m % 13 == 0 else "full"})
            m += 1
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)


def population(n: int) -> Structure:
    """A generated population of ``n`` members, built like the contract kit's generated-10000."""
    return _population(KIND_MAPS["party"], _kinds("party", None), seed=11,
                       branches=_sizes_summing_to(n, max(2, n // 33), seed=12), n_teams=max(1, n // 170))


def plain_layout(dot: str) -> tuple[dict[str, tuple[float, float, float, float]], float, float]:
    """Node boxes (x, y, w, h in inches) and the graph size from ``dot -Tplain``."""
    out = subprocess.run([dot_executable(), "-Tplain"], input=dot.encode(), capture_output=True, check=True).stdout
    nodes: dict[str, tuple[float, float, float, float]] = {}
    width = height = 0.0
    for line in out.decode().splitlines():
        parts = line.split()
        if parts and parts[0] == "graph":
            width, height = float(parts[2]), float(parts[3])
        elif parts and parts[0] == "node":
            nodes[parts[1].strip('"')] = tuple(float(p) for p in parts[2:6])  # type: ignore[assignment]
    return nodes, width, height


HOSTILE = [
    'A "q" <b> & {c}|d',
    "&amp; &lt;x&gt; &#38;",
    "back\\slash \\N \\l \\n",
    "</TD></TR></TABLE>>",
    '"]; evil [label="x',
    "tab\there ctl\x01x",
]


def hostile_structure() -> Structure:
    units = [{"id": 'gb"]; x -> y; //', "kind": "toy.general_branch", "name": "总支 <&>"}]
    for i, name in enumerate(HOSTILE):
        units.append({"id": f'b{i}<&"\\>', "kind": "toy.branch", "name": name, "parent": 'gb"]; x -> y; //'})
    members = [{"id": f"m{i}", "branch": f'b{i}<&"\\>', "status": "full"} for i in range(len(HOSTILE))]
    return Structure.from_records(toy_kinds(), units=units, members=members)


# --- DOT writing ---------------------------------------------------------------------------


def test_quote_and_html_escape_everything() -> None:
    assert quote('a"b\\c&d\ne') == '"a\\"b\\\\c&amp;d\\ne"'
    assert quote("x\ny", newlines=False) == '"x y"'
    assert html('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    assert "\x01" not in quote("a\x01b") and "\ufffd" in html("a\x01b")


@needs_dot
@pytest.mark.parametrize("name", HOSTILE + ["中文 ＆ 全角"])
def test_hostile_text_survives_both_kinds_of_label(name: str) -> None:
    from orgmodel.render.dot import Graph, Html

    g = Graph("t")
    g.node("plain", label=name)  # a quoted string
    g.node("rich", label=Html(f"<B>{html(name, newlines=False)}</B>"))  # an HTML-like label
    root = svg_of(g.to_dot())
    expected = name.replace("\t", " ").replace("\x01", "\ufffd")
    shown = {g_.findtext(f"{SVG}title"): texts(g_) for g_ in node_groups(root)}
    assert shown["rich"] == [expected]
    assert "\n".join(shown["plain"]) == expected  # "\n" in a name is a line break in a plain label


@needs_dot
def test_hostile_names_and_ids_in_an_org_chart() -> None:
    s = hostile_structure()
    dot = org_chart(s, lang="en")
    root = svg_of(dot)  # parses: nothing broke the DOT or the SVG
    groups = node_groups(root)
    # one SVG node per unit, the rest are the layout's points: no node "x" or "y" injected
    titles = [g.findtext(f"{SVG}title") or "" for g in groups]
    boxes = boxes_in(dot)
    assert len(boxes) == len(HOSTILE) + 1 and set(boxes) <= set(titles)
    assert all(t in boxes or t.startswith("_") for t in titles)
    groups = [g for g in groups if g.findtext(f"{SVG}title") in boxes]
    first_lines = {texts(g)[0] for g in groups}
    for name in HOSTILE:
        assert name.replace("\t", " ").replace("\x01", "\ufffd") in first_lines
    # ids and tooltips are quoted strings: exact too
    ids = {g.get("id") for g in groups}
    assert 'unit:gb"]; x -> y; //' in ids and 'unit:b0<&"\\>' in ids
    titles = [a.get(f"{XLINK}title") for a in root.iter(f"{SVG}a")]
    assert any(t and t.startswith('A "q" <b> & {c}|d\n') for t in titles)


@needs_dot
def test_chinese_labels_use_the_cjk_font() -> None:
    dot = org_chart(tiny_structure(), title="东区组织架构")
    assert f'fontname="{FONT}"' in dot
    root = svg_of(dot)
    all_text = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "东区总支" in all_text and "第一支部" in all_text and "东区组织架构" in all_text
    fonts = {t.get("font-family") for t in root.iter(f"{SVG}text")}
    assert all(f and f.startswith(FONT + ",") for f in fonts)
    # cairo (PNG/PDF) resolves the font to a real CJK font file, so glyphs are not boxes
    proc = subprocess.run([dot_executable(), "-v", "-Tpng", "-o", os.devnull], input=dot.encode(),
                          capture_output=True, check=True)
    resolved = [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("fontname:")]
    assert resolved and all("CJK" in ln for ln in resolved), resolved


def test_unknown_language_and_format_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown chart language 'fr'"):
        org_chart(tiny_structure(), lang="fr")
    with pytest.raises(UserError, match=r"\.svg, \.png or \.pdf"):
        render("digraph G {}", tmp_path / "chart.gif")
    with pytest.raises(UserError, match="budget must be at least 1"):
        org_chart(tiny_structure(), budget=0)


def test_missing_dot_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGMODEL_DOT", "/nonexistent/dot")
    assert not dot_available()
    with pytest.raises(UserError, match="apt-get install graphviz"):
        run_dot("digraph G {}", "svg")


@needs_dot
def test_dot_failures_and_timeouts_are_user_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UserError, match="Graphviz dot failed"):
        run_dot("digraph G { a -> }", "svg")

    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="dot", timeout=1)

    monkeypatch.setattr(subprocess, "run", slow)
    with pytest.raises(UserError, match="longer than 1 s"):
        run_dot("digraph G {}", "svg", timeout=1)


@needs_dot
def test_render_writes_each_format_atomically(tmp_path: Path) -> None:
    dot = org_chart(tiny_structure())
    png = render(dot, tmp_path / "out" / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(dot, tmp_path / "chart.pdf").read_bytes()[:5] == b"%PDF-"
    ET.parse(render(dot, tmp_path / "chart.svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.pdf", "chart.svg", "out"]  # no temp files left
    (tmp_path / "bad.png").write_bytes(b"old")
    with pytest.raises(UserError):
        render("digraph G { a -> }", tmp_path / "bad.png")
    assert (tmp_path / "bad.png").read_bytes() == b"old"


# --- the budgeted view -----------------------------------------------------------------------


@pytest.mark.parametrize("budget", [1, 2, 5, 40, 100, 700])
def test_view_respects_the_budget_and_counts_what_it_hides(budget: int) -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    view = budgeted_view(s, budget=budget)
    assert view.n_nodes <= budget
    sizes = s.sizes(subtree=True)
    full = s.sizes(full_only=True, subtree=True)
    shown = set(view.codes.tolist())
    org = s.unit_ids(role="org")
    hidden = [c for c in s.unit_codes(org).tolist() if c not in shown]
    assert sum(node.units for node in view.counts.values()) == len(hidden)
    for node in view.counts.values():
        assert node.members == int(sizes[list(node.top)].sum())
        assert node.full == int(full[list(node.top)].sum())
        assert sum(n for _, n in node.kinds) == node.units
        if node.parent >= 0 and not any(c in shown for c in s.child_codes(node.parent).tolist()):
            # a unit drawn without any of its children: its count box holds all of its subtree
            uid = str(s.units.ids[node.parent])
            assert node.units == len(s.descendants(uid))
            assert node.members == s.size(uid, subtree=True) - s.size(uid)
    # every member is accounted for: drawn branches plus count boxes under drawn non-branches
    top_total = int(sizes[[c for c in view.codes.tolist() if s.units.parent[c] < 0]].sum())
    top_total += view.counts["mroot"].members if "mroot" in view.counts else 0
    assert top_total == int(s.members["active"].sum())


def test_view_is_breadth_first_and_largest_first() -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    view = budgeted_view(s, budget=30)
    top = s.unit_code("top")
    gbs = s.child_codes(top)
    shown = [c for c in gbs.tolist() if c in set(view.codes.tolist())]
    sizes = s.sizes(subtree=True)
    # the general branches drawn are the largest ones
    assert min(sizes[shown]) >= max(sizes[[c for c in gbs.tolist() if c not in shown]])
    assert "m%d" % top in view.counts and view.counts["m%d" % top].kinds[0][0] == s.kinds.code("party.general_branch")


def test_depth_limits_the_view_and_root_charts_a_subtree() -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    view = budgeted_view(s, depth=1)
    assert max(int(view.depth[c]) for c in view.codes) == 1
    assert all(node.kinds[0][0] == s.kinds.code("party.branch") for node in view.counts.values())
    sub = budgeted_view(s, root="gb3")
    assert str(s.units.ids[sub.codes[0]]) == "gb3" and len(sub.roots) == 1
    assert set(s.units.ids[sub.codes].tolist()) == {"gb3", *s.descendants("gb3")}


def test_hidden_roots_get_one_count_box() -> None:
    units = [{"id": f"b{i}", "kind": "toy.branch", "name": f"支部{i}"} for i in range(10)]
    members = [{"id": f"m{i}", "branch": f"b{i % 10}"} for i in range(25)]
    s = Structure.from_records(toy_kinds(), units=units, members=members)
    view = budgeted_view(s, budget=4)
    assert view.n_nodes == 4 and "mroot" in view.counts
    assert view.counts["mroot"].units == 7
    assert view.counts["mroot"].members == int(s.sizes()[list(view.counts["mroot"].top)].sum())


def test_hosts_and_alliances_in_the_view() -> None:
    s = tiny_structure()
    view = budgeted_view(s, hosts=True)
    b2 = s.unit_code("b2")
    assert [(c, h) for c, h in view.built_on if c == b2] == [(b2, s.unit_code("t1")), (b2, s.unit_code("t2"))]
    assert view.n_nodes == len(view.codes) + len(view.built_on) == 5 + 4
    # paid from the budget: with hosts, fewer units fit
    assert len(budgeted_view(s, hosts=True, budget=4).codes) < len(budgeted_view(s, budget=4).codes) + 1
    dot = org_chart(s, hosts=True)
    assert dot.count('"歌咏队"') == 0  # host names are HTML labels, not ids
    assert len(re.findall(r"^  u%d -> h%d_\d+ " % (b2, b2), dot, flags=re.M)) == 2  # a joint branch: both hosts


def alliance_structure() -> Structure:
    kinds = KindTable(PARTY_PACK)
    units = [
        {"id": "tw", "kind": "party.committee", "name": "镇党委"},
        {"id": "jgb", "kind": "party.general_branch", "name": "联合党总支", "parent": "tw", "tags": ["alliance"]},
        {"id": "v1", "kind": "party.branch", "name": "强村党支部", "parent": "tw"},
        {"id": "v2", "kind": "party.branch", "name": "弱村党支部", "parent": "tw"},
        {"id": "fg", "kind": "party.functional_group", "name": "产业功能党小组", "parent": "jgb"},
    ]
    members = [{"id": f"m{i}", "branch": "v1" if i < 8 else "v2"} for i in range(11)]
    return Structure.from_records(kinds, units=units, members=members, alliances=[("v1", "jgb"), ("v2", "jgb")],
                                  participation=[(f"m{i}", "fg") for i in range(0, 11, 2)])


def test_alliances_do_not_constrain_and_participation_is_counted() -> None:
    s = alliance_structure()
    dot = org_chart(s)
    v1, jgb = s.unit_code("v1"), s.unit_code("jgb")
    edge = re.search(r"^  u%d -> u%d \[(.*)\];$" % (v1, jgb), dot, flags=re.M)
    assert edge and "constraint=false" in edge.group(1) and 'style="dashed"' in edge.group(1)
    assert "参与 6 人" in dot  # the functional group is sized by participation
    assert "联建 2 个组织" in dot  # the coordinating unit counts its allies


# --- org charts ------------------------------------------------------------------------------


def test_org_chart_labels_counts_and_colours() -> None:
    s = community(n_areas=3)
    dot = org_chart(s)
    kinds = s.kinds
    for kind in ("party.working_committee", "party.general_branch", "party.branch"):
        assert f'fillcolor="{kinds[kind].colour}"' in dot
    gb0 = s.unit_code("gb0")
    label = re.search(r"^  u%d \[label=<(.*)>, fillcolor" % gb0, dot, flags=re.M).group(1)  # type: ignore[union-attr]
    total, full = s.size("gb0", subtree=True), s.size("gb0", subtree=True, full_only=True)
    assert f"共 {total:,} 人（正式 {full:,}）" in label
    en = org_chart(s, lang="en")
    assert "general branch" not in en.split("label=")[0] and "members in all" in en


def test_findings_are_marked_and_footnoted() -> None:
    s = community(n_areas=3)
    findings = {"gb0": [("error", "党员超过 100 人")], "a1b0": [("warning", "党员超过 50 人")]}
    dot = org_chart(s, findings=findings)
    gb0, b = s.unit_code("gb0"), s.unit_code("a1b0")
    line_gb0 = next(ln for ln in dot.splitlines() if ln.startswith(f"  u{gb0} [label"))
    line_b = next(ln for ln in dot.splitlines() if ln.startswith(f"  u{b} [label"))
    assert 'color="#d7191c"' in line_gb0 and "[1]" in line_gb0
    assert 'color="#f08c00"' in line_b and "[2]" in line_b
    caption = dot.split("label=<", 1)[1]
    assert "第1居民区党总支：党员超过 100 人" in caption and "议事团党支部：党员超过 50 人" in caption
    # a finding inside a collapsed part marks the count box and keeps its text
    small = org_chart(s, findings=findings, depth=1)
    assert "折叠部分" not in small or "议事团党支部：党员超过 50 人" in small
    count_line = next(ln for ln in small.splitlines() if ln.startswith(f"  m{s.unit_code('gb1')} [label"))
    assert 'color="#f08c00"' in count_line


def test_units_with_findings_are_drawn_first() -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    deep = "b250g"
    assert f"u{s.unit_code(deep)} [label" not in org_chart(s, budget=30)
    dot = org_chart(s, budget=30, findings={deep: [("error", "x")]})
    line = next(ln for ln in dot.splitlines() if ln.startswith(f"  u{s.unit_code(deep)} [label"))
    assert 'color="#d7191c"' in line and len(boxes_in(dot)) <= 30


def test_findings_by_unit_reads_rule_findings() -> None:
    from orgmodel.analysis.rules import Finding

    f = Finding(rule="branch.max", severity="warning", status="violated", unit="b1", unit_name="第一支部",
                value=4.0, threshold="≤ 3", title_zh="不超过3人", title_en="at most 3", source="demo")
    skipped = Finding(rule="x", severity="error", status="not_checked", unit=None, unit_name=None, value=None,
                      threshold="", title_zh="", title_en="", source="")
    assert findings_by_unit([f, skipped]) == {"b1": [("warning", "不超过3人（现为 4，应 ≤ 3）")]}
    assert findings_by_unit([f], "en") == {"b1": [("warning", "at most 3 (now 4, should be ≤ 3)")]}


def test_budget_is_respected_in_the_dot_text() -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    for budget in (50, 300):
        dot = org_chart(s, budget=budget)
        assert len(boxes_in(dot)) <= budget
        assert dot.count("[shape=") <= budget * 3  # layout points stay a fraction


def test_deterministic_dot_across_processes() -> None:
    s = community(n_areas=5)
    assert org_chart(s, hosts=True) == org_chart(s, hosts=True)
    code = (
        "import sys, hashlib; sys.path.insert(0, %r); from test_render import community;"
        "from orgmodel.render import org_chart;"
        "print(hashlib.sha256(org_chart(community(n_areas=5), hosts=True).encode()).hexdigest())"
    ) % str(Path(__file__).parent)
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    import hashlib

    assert digests == {hashlib.sha256(org_chart(s, hosts=True).encode()).hexdigest()}


@needs_dot
def test_large_community_chart_is_page_shaped_and_nothing_overlaps() -> None:
    s = community()
    dot = org_chart(s, title="某街道社区")
    nodes, width, height = plain_layout(dot)
    assert 0.6 <= width / height <= 2.5, (width, height)  # page-like, not a 1:15 strip
    boxes = [nodes[k] for k in boxes_in(dot)]
    assert len(boxes) == int((~s.units.dissolved & s.kinds.is_org[s.units.kind]).sum())
    order = sorted(boxes, key=lambda b: b[0] - b[2] / 2)
    for i, (x, y, w, h) in enumerate(order):  # sweep: no two boxes overlap
        for x2, y2, w2, h2 in order[i + 1 :]:
            if x2 - w2 / 2 >= x + w / 2:
                break
            assert abs(y - y2) >= (h + h2) / 2 - 1e-6, ((x, y), (x2, y2))
    # every line of the hierarchy goes down: a child is drawn below its parent
    for c in range(s.n_units):
        p = int(s.units.parent[c])
        if f"u{c}" in nodes and p >= 0 and f"u{p}" in nodes:
            assert nodes[f"u{p}"][1] > nodes[f"u{c}"][1]


@needs_dot
def test_generated_10000_and_100000_charts_render() -> None:
    for s in (contract_baselines("party", only=("generated-10000",))["generated-10000"], population(100_000)):
        dot = org_chart(s)
        assert len(boxes_in(dot)) <= 1500
        root = svg_of(dot)
        assert len(node_groups(root)) >= len(boxes_in(dot))


def test_pages_split_a_large_chart() -> None:
    s = community(n_areas=4)
    pages = org_chart_pages(s)
    assert len(pages) == 1 + 4
    assert pages[1][0] == "第1居民区党总支组织架构图"
    assert "第2居民区党总支" not in pages[1][1].split("label=<", 2)[2]


# --- diff charts ---------------------------------------------------------------------------


def diff_data(s: Structure, after: Structure, plans: list) -> tuple[UnitTable, UnitTable, dict]:
    """What evaluation stores for a variant: the baseline's and the variant's unit tables and changes."""
    base = variant_tables(s, s, [])
    variant = variant_tables(s, after, plans)
    return base[0], variant[0], changes_between(*base, *variant)


def tiny_plan() -> tuple[Structure, Structure, list]:
    s = tiny_structure()
    b = PlanBuilder(s, strategy="demo")
    new = b.create_unit("b3", kind="toy.branch", name="新支部", parent="gb", reason="split")
    b.move(["m1", "m2"], to=new, reason="split")
    b.dissolve("b2", members_to="b1", reason="merge")
    plan = b.build()
    return s, apply(s, plan, variant="v", step=0), [plan]


def test_unit_changes_and_flows() -> None:
    s, after, plans = tiny_plan()
    before_t, after_t, changes = diff_data(s, after, plans)
    ch = unit_changes(before_t, after_t, changes)
    new, b1, b2 = after.unit_code("v/0/b3"), s.unit_code("b1"), s.unit_code("b2")
    assert ch.created[new] and ch.dissolved[b2] and ch.resized[b1]
    assert (int(ch.size_before[b1]), int(ch.size_after[b1])) == (4, 5)
    flows = flow_codes(after_t, changes["flows"])
    assert flows == [(b2, b1, 3), (b1, new, 2)]
    moved = int((s.members["branch"] != after.members["branch"]).sum())
    assert sum(n for _, _, n in flows) == moved == 5


def test_diff_chart_styles_created_dissolved_resized() -> None:
    s, after, plans = tiny_plan()
    data = diff_data(s, after, plans)
    dot = diff_chart(*data)
    new, b1, b2 = after.unit_code("v/0/b3"), s.unit_code("b1"), s.unit_code("b2")
    line = {c: next(ln for ln in dot.splitlines() if ln.startswith(f"  u{c} [label")) for c in (new, b1, b2)}
    assert 'color="#1a9641"' in line[new] and 'fillcolor="#e5f5e0"' in line[new] and "penwidth=2.4" in line[new]
    assert 'style="rounded,dashed,filled"' in line[b2] and 'color="#9e9e9e"' in line[b2] and "3 → 0" in line[b2]
    assert "<B>4 → 5 人</B>" in line[b1] and 'fillcolor="#ffffff"' in line[b1]
    # the line into a dissolved unit is dashed grey
    assert re.search(r"-> u%d \[[^\]]*style=\"dashed\"" % b2, dot)
    # flows: one arrow per pair, labelled, summing to the members moved
    flows = re.findall(r"^  u(\d+) -> u(\d+) \[xlabel=\"(\d+)\"", dot, flags=re.M)
    assert sorted((int(a), int(b), int(n)) for a, b, n in flows) == sorted([(b2, b1, 3), (b1, new, 2)])
    assert all("constraint=false" in ln for ln in dot.splitlines() if "xlabel=" in ln)
    assert diff_chart(*data) == dot  # deterministic
    assert "created" in diff_chart(*data, lang="en")


def test_diff_of_the_qisan_upgrade(tmp_path: Path) -> None:
    from orgmodel.cli import main
    from orgmodel.render import variant_diffs
    from orgmodel.run.results import load_results

    assert main(["run", str(QISAN), "--out", str(tmp_path / "out"), "--no-report"]) == 0
    results = load_results(tmp_path / "out")
    charts = variant_diffs(results)
    assert [name for name, _, _ in charts] == results.names[1:]
    _, title, dot = charts[results.names[1:].index("manual-upgrade")]
    before = results.baseline.units
    branch = before.code("qisan-branch")
    line = next(ln for ln in dot.splitlines() if ln.startswith(f"  u{branch} [label"))
    assert 'color="#2171b5"' in line and "党支部 → 党总支" in line  # retyped, in place
    flows = [int(n) for n in re.findall(r'xlabel="(\d+)"', dot)]
    assert sum(flows) == int(before.direct[before.counted_branch].sum()) == 150
    after = results.variant("manual-upgrade").units
    under = (after.parent == branch) & after.counted_branch
    assert sorted(flows) == sorted(after.direct[under].tolist())
    # reasons of the plan are the tooltips of the units they touched
    assert "团队发育成熟" in dot


def test_diff_of_a_large_change_is_collapsed_with_changes_first() -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    b = PlanBuilder(s, strategy="demo")
    b.dissolve("b7", members_to="b8", children_to="b8", reason="merge")
    plan = b.build()
    after = apply(s, plan, variant="v", step=0)
    dot = diff_chart(*diff_data(s, after, [plan]), budget=60)
    assert len(boxes_in(dot)) <= 60
    b7, b8 = s.unit_code("b7"), s.unit_code("b8")
    assert f"  u{b7} [label" in dot and f"  u{b8} [label" in dot  # the changed units are drawn
    assert re.search(r'^  u%d -> u%d \[xlabel="%d"' % (b7, b8, s.size("b7")), dot, flags=re.M)


def test_diff_refuses_unrelated_structures() -> None:
    other = community(n_areas=1)
    with pytest.raises(UserError, match="do not share their units"):
        diff_chart(unit_table(tiny_structure()), unit_table(other), {"flows": []})


@needs_dot
def test_small_multiples_page() -> None:
    s, after, plans = tiny_plan()
    svgs = [run_dot(diff_chart(*diff_data(s, s, [])), "svg"), run_dot(diff_chart(*diff_data(s, after, plans)), "svg")]
    page = small_multiples_svg(svgs, ["现状", "调整 <1> & 2"])
    root = ET.fromstring(page)
    assert len(root.findall(f"{SVG}svg")) == 2
    titles = [t.text for t in root.findall(f"{SVG}text")]
    assert titles == ["现状", "调整 <1> & 2"]
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # ids made unique per cell
    with pytest.raises(UserError, match="2 charts but 1 titles"):
        small_multiples_svg(svgs, ["x"])


def test_collapse_of_a_union_forest_keeps_marked_units() -> None:
    s = contract_baselines("party", only=("generated-10000",))["generated-10000"]
    marks = np.zeros(s.n_units, dtype=np.int64)
    target = s.unit_code("b250g")
    marks[target] = 1
    view = collapse(forest_of(s, marks=marks), budget=20)
    assert target in set(view.codes.tolist())


# --- every number a chart shows is a stored count --------------------------------------------------


LARGE = Path(__file__).resolve().parents[1] / "scenarios" / "large-community" / "scenario.yaml"


def _count_boxes(dot: str) -> dict[int, int]:
    """Count box under unit code -> the members its label shows."""
    out = {}
    for code, label in re.findall(r'^  m(\d+) \[label=<(.*?)>, shape', dot, flags=re.M):
        out[int(code)] = int(re.search(r"([\d,]+) 人", label).group(1).replace(",", ""))
    return out


def test_every_count_box_counts_the_members_under_it_once(tmp_path: Path) -> None:
    from orgmodel.cli import main
    from orgmodel.run.results import load_results

    out = tmp_path / "lc"
    assert main(["run", str(LARGE), "--out", str(out), "--no-report", "--no-simulate", "--variant", "team-branches"]) == 0
    results = load_results(out)
    before, variant = results.baseline.units, results.variant("team-branches")
    after = variant.units
    charts = {"diff": (diff_chart(before, after, variant.changes, budget=150), after),
              "after": (org_chart(after, budget=150), after), "before": (org_chart(before, budget=150), before)}
    for name, (dot, table) in charts.items():
        drawn = {int(c) for c in re.findall(r"^  u(\d+) \[label", dot, flags=re.M)}
        boxes = _count_boxes(dot)
        assert boxes, name
        for parent, shown in boxes.items():
            hidden = (table.parent == parent) & table.live_org
            hidden[list(drawn)] = False
            assert shown == int(table.members[hidden].sum()), (name, str(table.name[parent]))
    # the upgraded 汽三 area holds 150 members, and its box under it says so, not 300
    qisan = next(c for c in range(after.n_units) if str(after.name[c]).startswith("汽三居民区") and after.live_org[c]
                 and after.kinds[int(after.kind[c])].id == "party.general_branch")
    assert int(after.members[qisan]) == 150
    assert _count_boxes(charts["diff"][0])[qisan] == 150


def test_fit_a4_reads_graphviz_scale_and_units() -> None:
    from orgmodel.render.paper import fit_a4

    big = ('<svg width="2000pt" height="1000pt" viewBox="0.00 0.00 2000.00 1000.00">'
           '<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 996)">'
           '<text font-size="14.00">a</text><text font-size="10.00">b</text></g></svg>')
    fit = fit_a4(big)
    assert fit.orientation == "landscape"
    assert fit.min_pt == pytest.approx(10 * (297 - 24) / 25.4 * 72 / 2000, rel=1e-6)
    assert not fit.legible
    small = '<svg width="400px" height="600px"><text font-size="12">a</text></svg>'
    assert fit_a4(small).orientation == "portrait" and fit_a4(small).min_pt == pytest.approx(9.0)
