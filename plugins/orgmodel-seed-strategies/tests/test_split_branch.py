"""split-branch: the contract kit for each way of cutting, and the strategy's own promises on
purpose-built structures (two cliques, buildings, categories, anchors, groups, roles, bad params)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from orgmodel import apply, KindTable, Structure, UserError
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.registry import strategies
from orgmodel_seed_strategies.split_branch import SplitBranch, key_affinity, rebalance, tie_affinity
from orgmodel_seed_strategies.testing import propose

STRATEGY = SplitBranch()


def _apply(s: Structure, params: dict, seed: int = 0):
    plan = propose(STRATEGY, s, params, seed=seed)
    return plan, apply(s, plan, variant="v", step=0)


def _branches(after: Structure) -> list[str]:
    return after.unit_ids("party.branch")


def _everyone_placed(before: Structure, after: Structure) -> None:
    active = after.members["active"]
    branch = after.members["branch"]
    live = after.kinds.is_branch[after.units.kind[branch]] & ~after.units.dissolved[branch]
    assert (live | ~active).all()
    assert sum(after.size(u) for u in _branches(after)) == int(active.sum()) == int(before.members["active"].sum())


def _cliques(sizes=(20, 20), weak=0.5, roles=(("b", "secretary", "m25"),), extra=None) -> Structure:
    """Dense cliques of members in one branch, each pair of neighbouring cliques joined by one weak tie."""
    units = [{"id": "c", "kind": "party.committee", "name": "社区党委"},
             {"id": "area", "kind": "party.residential_area", "name": "鹤北一"},
             {"id": "b", "kind": "party.branch", "name": "鹤北一党支部", "parent": "c", "built_on": "area"}]
    members, ties, start = [], [], 0
    for size in sizes:
        block = [f"m{i:02d}" for i in range(start, start + size)]
        members += [{"id": m, "branch": "b", "home_host": "area", **(extra or {}).get(m, {})} for m in block]
        ties += [(a, b, 1.0) for i, a in enumerate(block) for b in block[i + 1:]]
        if start:
            ties.append((f"m{start - 1:02d}", block[0], weak))
        start += size
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members, ties=ties,
                                  roles=[{"unit": u, "role": r, "person": p} for u, r, p in roles])


def _buildings(sizes: list[int], *, probationary_every: int = 0, groups: dict | None = None) -> Structure:
    """One residential-area branch whose members live in buildings of the given sizes."""
    units = [{"id": "c", "kind": "party.committee", "name": "社区党委"},
             {"id": "area", "kind": "party.residential_area", "name": "鹤北一"},
             {"id": "b", "kind": "party.branch", "name": "鹤北一党支部", "parent": "c", "built_on": "area"}]
    units += [{"id": f"bd{i}", "kind": "party.building", "name": f"{i + 1}号楼", "parent": "area"}
              for i in range(len(sizes))]
    for g, _ in (groups or {}).items():
        units.append({"id": g, "kind": "party.group", "name": f"{g}党小组", "parent": "b"})
    members, n = [], 0
    for i, size in enumerate(sizes):
        for _ in range(size):
            status = "probationary" if probationary_every and n % probationary_every == 0 else "full"
            group = next((g for g, bds in (groups or {}).items() if f"bd{i}" in bds), None)
            members.append({"id": f"m{n:03d}", "branch": "b", "home_host": f"bd{i}", "status": status, "group": group})
            n += 1
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members,
                                  roles=[{"unit": "b", "role": "secretary", "person": "m000"},
                                         {"unit": "b", "role": "committee_member", "person": f"m{n - 1:03d}"}])


# -- the contract kit ---------------------------------------------------------------------------


def test_registered():
    assert "split-branch" in [s.name for s in strategies()]


@pytest.mark.parametrize("by", ["building", "category"])
def test_on_the_contract_baselines(by):
    # the 329-member branch is split into parts within the size rule
    base = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    after = apply(base, propose(STRATEGY, base, {"by": by}), variant="contract", step=0)
    parts = [u for u in _branches(after) if u == "b0" or after.unit(u).attrs.get("split_from") == "b0"]
    assert len(parts) >= 7
    assert all(after.size(u) <= 50 for u in parts)
    assert all(after.size(u, full_only=True) >= 3 for u in parts)
    assert sum(after.size(u) for u in parts) == 329


def test_contract_ties_refuses_without_ties():
    bases = contract_baselines("party", only=("tiny", "branch-of-329"))
    # a baseline with no branch above 50 gives an empty plan; one with such a branch refuses (no ties)
    assert propose(STRATEGY, bases["tiny"], {"by": "ties"}).operations == []
    with pytest.raises(UserError):
        propose(STRATEGY, bases["branch-of-329"], {"by": "ties"})


# -- by ties --------------------------------------------------------------------------------------


def test_two_cliques_are_separated():
    s = _cliques()
    plan, after = _apply(s, {"units": ["b"], "k": 2, "by": "ties"})
    _everyone_placed(s, after)
    parts = sorted(_branches(after))
    assert len(parts) == 2
    sets = sorted(sorted(after.member_ids_of(u)) for u in parts)
    assert sets == [[f"m{i:02d}" for i in range(20)], [f"m{i:02d}" for i in range(20, 40)]]
    # the secretary's clique stays in the original branch, which is renamed
    assert "m25" in after.member_ids_of("b")
    assert after.unit("b").name == "鹤北一第一党支部"
    text = plan.operations[0].reason.render("en", plan.templates)
    assert "99.9% of the branch's tie weight stays inside parts" in text


def test_three_cliques_k3_and_determinism_across_seeds_and_processes():
    s = _cliques(sizes=(15, 15, 15), roles=())
    plan, after = _apply(s, {"units": ["b"], "k": 3, "by": "ties"})
    groups = {frozenset(after.member_ids_of(u)) for u in _branches(after)}
    assert groups == {frozenset(f"m{i:02d}" for i in range(a, a + 15)) for a in (0, 15, 30)}
    again = propose(STRATEGY, s, {"units": ["b"], "k": 3, "by": "ties"})
    assert again.to_json() == plan.to_json()
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "from test_split_branch import _cliques, STRATEGY\n"
        "from orgmodel_seed_strategies.testing import propose\n"
        "print(propose(STRATEGY, _cliques(sizes=(15, 15, 15), roles=()), "
        "{'units': ['b'], 'k': 3, 'by': 'ties'}).to_json())" % str(Path(__file__).parent)
    )
    for hash_seed in ("1", "7"):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env=dict(os.environ, PYTHONHASHSEED=hash_seed)).stdout
        assert json.loads(out) == json.loads(plan.to_json())


def test_anchors_one_per_part():
    s = _cliques()
    plan, after = _apply(s, {"units": ["b"], "by": "ties", "anchors": ["m03", "m33"]})
    assert after.branch_of("m03") != after.branch_of("m33")
    assert set(after.member_ids_of(after.branch_of("m03"))) == {f"m{i:02d}" for i in range(20)}
    roles = [(op.unit, op.person) for op in plan.operations if op.op == "set_role" and op.role == "secretary"]
    assert roles == [(op.to, "m03") for op in plan.as_written() if op.op == "move_members"]


def test_backbone_anchors():
    extra = {"m05": {"backbone": True}, "m07": {"backbone": True}, "m31": {"backbone": True}}
    s = _cliques(extra=extra, roles=(("b", "secretary", "m25"),))
    _, after = _apply(s, {"units": ["b"], "by": "ties", "k": 2, "anchors": "backbone"})
    # the secretary anchors one part; the backbone member least tied to them (m05 or m07) the other
    assert after.branch_of("m25") != after.branch_of("m05")
    assert after.branch_of("m05") == after.branch_of("m07")


def test_oversized_part_is_rebalanced_by_moving_weakest_tied():
    # cliques of 30 and 10 with k=2 and max_size 25: no part may exceed 25
    s = _cliques(sizes=(30, 10), roles=())
    plan, after = _apply(s, {"units": ["b"], "by": "ties", "k": 2, "max_size": 25})
    sizes = sorted(after.size(u) for u in _branches(after))
    assert max(sizes) <= 25 and sum(sizes) == 40
    # the small clique stays whole
    small = {f"m{i:02d}" for i in range(30, 40)}
    assert len({after.branch_of(m) for m in small}) == 1


def test_rebalance_moves_least_tied_member():
    # member 0..3 strongly tied; member 4 tied weakly; all in part 0, max_size 4 -> member 4 leaves
    import scipy.sparse as sp

    a = np.array([0, 0, 0, 1, 1, 2, 3])
    b = np.array([1, 2, 3, 2, 3, 3, 4])
    w = np.array([5, 5, 5, 5, 5, 5, 0.1])
    mat = sp.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(5, 5))
    labels = np.zeros(5, dtype=np.int64)
    moved = rebalance(labels, 2, affinity=tie_affinity(mat, 2), full=np.ones(5, bool), max_size=4, min_full=1,
                      pinned=np.zeros(5, bool))
    assert moved == 1 and labels.tolist() == [0, 0, 0, 0, 1]


def test_rebalance_gives_every_part_min_full():
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    full = np.array([1, 1, 1, 1, 1, 1, 0, 0], bool)
    rebalance(labels, 2, affinity=key_affinity(np.arange(8), 2), full=full, max_size=50, min_full=3,
              pinned=np.zeros(8, bool))
    assert np.bincount(labels, weights=full, minlength=2).tolist() == [3, 3]


# -- by building -------------------------------------------------------------------------------------


def test_no_building_is_split_and_parts_are_balanced():
    sizes = [14, 13, 12, 11, 11, 10, 9, 9, 8, 7, 6, 5, 5, 4, 3, 3]
    s = _buildings(sizes, probationary_every=7)
    plan, after = _apply(s, {"by": "building"})
    _everyone_placed(s, after)
    parts = _branches(after)
    assert len(parts) == 3  # 130 members, at most 50 each
    part_sizes = sorted(after.size(u) for u in parts)
    assert max(part_sizes) <= 50 and max(part_sizes) - min(part_sizes) <= 3
    assert all(after.size(u, full_only=True) >= 3 for u in parts)
    home = after.members["home_host"]
    for i in range(len(sizes)):
        in_building = np.flatnonzero(home == after.unit_code(f"bd{i}"))
        assert len(set(after.members["branch"][in_building].tolist())) == 1, f"building bd{i} split"
    assert "楼栋/院落" in plan.operations[0].reason.render("zh", plan.templates)


def test_tight_packing_keeps_buildings_whole():
    # largest-first into the smallest part gives 52 + 47; best-fit packing finds 50 + 49
    s = _buildings([14, 16, 14, 17, 9, 24, 5])
    plan, after = _apply(s, {"by": "building"})
    assert sorted(after.size(u) for u in _branches(after)) == [49, 50]
    home = after.members["home_host"]
    for i in range(7):
        in_building = np.flatnonzero(home == after.unit_code(f"bd{i}"))
        assert len(set(after.members["branch"][in_building].tolist())) == 1
    assert "分开" not in plan.operations[0].reason.render("zh", plan.templates)


def test_shared_building_is_reported():
    # one building of 60 cannot stay whole under max_size 50: the reasons say it is shared
    s = _buildings([60, 10])
    plan, after = _apply(s, {"by": "building"})
    assert max(after.size(u) for u in _branches(after)) <= 50
    texts = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op in ("set_attributes", "create_unit")]
    assert any("1个因人数平衡与其他支部分开" in x for x in texts)


def test_groups_follow_their_members_and_roles_are_cleared():
    # buildings are packed 20+16 | 20+15 | 18+17: g1 (bd0) stays with the secretary, g2 (bd1, bd2) is
    # spread over two new parts and dissolved, g3 (bd5) goes whole to a new part and moves with it
    sizes = [20, 20, 18, 17, 16, 15]
    s = _buildings(sizes, groups={"g1": ("bd0",), "g2": ("bd1", "bd2"), "g3": ("bd5",)})
    plan, after = _apply(s, {"by": "building", "k": 3})
    _everyone_placed(s, after)
    assert after.parent("g1") == "b" and not after.unit("g1").dissolved
    assert after.unit("g2").dissolved
    bd5 = [m for m in s.members.ids.tolist() if s.members["home_host"][s.member_code(m)] == s.unit_code("bd5")]
    target = after.branch_of(bd5[0])
    assert target != "b" and after.parent("g3") == target
    assert all(after.group_of(m) == "g3" for m in bd5)
    assert [op.unit for op in plan.operations if op.op == "attach"] == ["g3"]
    # the committee member (last member, in bd5) moved out of b: the role is cleared there
    last = f"m{sum(sizes) - 1:03d}"
    assert after.branch_of(last) == target
    assert not [r for r in after.roles_in("b") if r.person == last]
    assert [r.person for r in after.roles_in("b") if r.role == "secretary"] == ["m000"]


def test_members_without_building_are_placed():
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    plan, after = _apply(s, {"units": ["b0"], "by": "building"})
    _everyone_placed(s, after)
    text = plan.operations[0].reason.render("zh", plan.templates)
    assert "未登记楼栋" in text


# -- by category ---------------------------------------------------------------------------------


def test_category_parts_are_pure_and_tagged():
    extra = {}
    for i in range(60):
        m = f"m{i:02d}"
        if i < 24:
            extra[m] = {"retired": True, "birth_date": "1950-01-01"}
        elif i < 36:
            extra[m] = {"birth_date": "1998-05-05"}
        elif i < 42:
            extra[m] = {"mobile": True, "birth_date": "1985-01-01"}
        else:
            extra[m] = {"birth_date": "1980-01-01"}
    s = _cliques(sizes=(60,), extra=extra, roles=(("b", "secretary", "m00"),))
    plan, after = _apply(s, {"units": ["b"], "by": "category", "k": 4})
    tags = {u: after.unit(u).tags for u in _branches(after)}
    by_tag = {t: u for u, ts in tags.items() for t in ts if t.startswith("category:")}
    assert set(by_tag) == {"category:retired", "category:young", "category:mobile"}
    assert set(after.member_ids_of(by_tag["category:retired"])) == {f"m{i:02d}" for i in range(24)}
    assert set(after.member_ids_of(by_tag["category:mobile"])) == {f"m{i:02d}" for i in range(36, 42)}
    assert by_tag["category:retired"] == "b"  # the secretary is retired: the original keeps that part


def test_too_few_full_members_is_recorded_not_split():
    s = _buildings([30, 30], probationary_every=1)  # 60 members, none full
    plan, after = _apply(s, {})
    assert [op.op for op in plan.operations] == ["set_attributes"]
    assert "only 0 full members" in plan.operations[0].reason.render("en", plan.templates)
    assert len(_branches(after)) == 1
    with pytest.raises(UserError, match="b has only 0 full members"):
        propose(STRATEGY, s, {"units": ["b"]})


# -- bad parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"units": ["b"], "k": 41, "by": "ties"}, "split-branch: params.k=41 is more than the 40 members of b"),
        ({"units": ["nope"]}, "split-branch: params.units: unknown unit 'nope'"),
        ({"units": ["c"]}, "split-branch: params.units: 'c' is a party.committee, not a branch"),
        ({"units": ["b"]}, "split-branch: b has 40 members, not more than params.max_size=50; give params.k"),
        ({"units": ["b"], "k": 2, "anchors": ["m01", "m02"]}, "split-branch: params.anchors is only used with by=ties"),
        ({"units": ["b"], "k": 3, "by": "ties", "anchors": ["m01", "m02"]}, "params.anchors: 2 anchors for k=3 parts"),
        ({"units": ["b"], "by": "ties", "anchors": ["m01", "zz"]}, "params.anchors: 'zz' is not a member of b"),
        ({"by": "ties", "anchors": ["m01", "m02"]}, "params.anchors: a list of anchors needs exactly one unit"),
        ({"units": ["b"], "k": 20}, "params.k=20 needs 60 full members (3 per part); b has 40"),
    ],
)
def test_bad_parameters(params, message):
    s = _cliques()
    with pytest.raises(UserError) as err:
        propose(STRATEGY, s, params)
    text = str(err.value)
    assert message in text and "\n" not in text


def test_k_below_two_is_refused_by_name():
    with pytest.raises(UserError, match=r"params\.k"):
        STRATEGY.parse_params({"k": 1})


def test_ties_needed_for_by_ties():
    s = _buildings([30, 30])
    with pytest.raises(UserError, match="b has no ties among its members"):
        propose(STRATEGY, s, {"by": "ties"})


# -- proposed roles (RULES secretary.when / committee.when) ---------------------------------------


def _role_findings(after: Structure, units: list[str], status: str | None = None) -> list[tuple[str, str]]:
    from orgmodel import PluginHost
    from orgmodel import check_rules

    pack = PluginHost().rule_packs().get("party")
    return sorted((f.unit, f.rule) for f in check_rules(after, [pack])
                  if f.rule in ("secretary.when", "committee.when") and f.unit in units
                  and (status is None or f.status == status))


def test_new_parts_get_a_secretary_and_committee():
    # buildings 20/20/20/5: part 1 (b) keeps bd0+bd2 (40), the new part gets bd1+bd3 (25), with the
    # committee member m064, whose role in b is cleared: b's committee is topped up from who stays
    s = _buildings([20, 20, 20, 5])
    plan, after = _apply(s, {"units": ["b"]})
    new = [u for u in _branches(after) if u != "b"]
    assert len(new) == 1 and after.size(new[0]) == 25
    assert _role_findings(after, new + ["b"]) == []
    roles = sorted((r.role, r.person) for r in after.roles_in(new[0]))
    # 25 full members: a committee of 5; the backbone member (b's committee member) is secretary,
    # then (no joining dates) the lowest member codes
    assert roles == [("committee_member", "m020"), ("committee_member", "m021"), ("committee_member", "m022"),
                     ("committee_member", "m023"), ("secretary", "m064")]
    kept = sorted((r.role, r.person) for r in after.roles_in("b"))
    assert ("secretary", "m000") in kept and len(kept) == 5
    assert all(after.branch_of(p) == "b" for _, p in kept)
    text = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "set_role"]
    assert any("有25名正式党员（7人以上），设支部委员会5人，由党员m064任书记（骨干党员优先）" in t for t in text)
    # without proposals the new part has no secretary, and b's committee is short
    _, bare = _apply(s, {"units": ["b"], "propose_roles": False})
    new = [u for u in _branches(bare) if u != "b"]
    assert _role_findings(bare, new + ["b"], "violated") == sorted(
        [(new[0], "committee.when"), (new[0], "secretary.when"), ("b", "committee.when")])
