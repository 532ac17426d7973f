"""Property tests of :func:`orgmodel.model.apply.apply` on random valid toy structures and plans.

The hypothesis strategies live here (not in a shared module) because the tests are imported with
``--import-mode=importlib``, where sibling test modules cannot import each other.

* :func:`toy_structures` draws a random valid structure of the toy pack: a forest of committees,
  general branches, branches and groups that respects ``allowed_parents``, host units with
  ``part_of``, branches built on zero, one or several hosts (joint branches), members with a
  branch and optionally a group of that branch (some in ``core.unplaced`` / ``core.external``,
  some inactive), statuses, participation, roles, alliances and adjacency.
* :func:`plans_on` draws a random valid plan on a structure with :class:`PlanBuilder`, keeping a
  small reference model (:class:`_Sim`) of where every active member ends up. The model follows
  the documented semantics of apply: member moves are applied first, then each ``dissolve`` in
  plan order sends the members still in the unit to its ``members_to``.

Plans keep their member moves in one table (:class:`~orgmodel.model.plan.MoveTable`); the tests
also check that table: one row per moved member, JSON and Parquet round trips, and the
version-1 shape (moves as operations) giving the same plan.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgmodel.model.apply import apply, new_unit_id
from orgmodel.model.plan import NEW, Plan, PlanBuilder
from orgmodel.model.structure import Structure
from orgmodel.testing_data import toy_kinds

COMMITTEE = "toy.committee"
GENERAL = "toy.general_branch"
BRANCH = "toy.branch"
GROUP = "toy.group"
HOST_KINDS = ("toy.area", "toy.team")
ROLES = ("secretary", "deputy", "organiser", "group_leader")
VARIANT = "var"
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=4),
)
NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=6)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- structures ---------------------------------------------------------------------------------


@st.composite
def toy_structures(draw: st.DrawFn) -> Structure:
    """A random valid structure of the toy pack."""
    units: list[dict] = []
    hosts: list[str] = []
    for i in range(draw(st.integers(1, 5))):
        parent = draw(st.none() | st.sampled_from(hosts)) if hosts else None
        units.append({"id": f"h{i}", "kind": draw(st.sampled_from(HOST_KINDS)), "name": f"host {i}", "parent": parent})
        hosts.append(f"h{i}")

    def built_on(max_size: int = 3) -> list[str]:
        return draw(st.lists(st.sampled_from(hosts), max_size=max_size, unique=True))

    committees = [f"c{i}" for i in range(draw(st.integers(0, 2)))]
    for c in committees:
        units.append({"id": c, "kind": COMMITTEE, "name": f"committee {c}", "built_on": built_on(1)})
    generals = [f"gb{i}" for i in range(draw(st.integers(0, 3)))]
    for g in generals:
        parent = draw(st.none() | st.sampled_from(committees)) if committees else None
        units.append({"id": g, "kind": GENERAL, "name": f"general {g}", "parent": parent, "built_on": built_on(1)})
    branches = [f"b{i}" for i in range(draw(st.integers(1, 6)))]
    for b in branches:
        options = committees + generals
        parent = draw(st.none() | st.sampled_from(options)) if options else None
        units.append({"id": b, "kind": BRANCH, "name": f"branch {b}", "parent": parent, "built_on": built_on(),
                      "tags": draw(st.sampled_from([None, "industry", "joint;team"]))})
    groups_of: dict[str, list[str]] = {b: [] for b in branches}
    for i in range(draw(st.integers(0, 4))):
        b = draw(st.sampled_from(branches))
        groups_of[b].append(f"g{i}")
        units.append({"id": f"g{i}", "kind": GROUP, "name": f"group {i}", "parent": b})
    holders = list(branches)
    if draw(st.booleans()):
        units.append({"id": "unplaced", "kind": "core.unplaced", "name": "unplaced"})
        holders.append("unplaced")
    if draw(st.booleans()):
        units.append({"id": "external", "kind": "core.external", "name": "external"})
        holders.append("external")
    units = draw(st.permutations(units))  # codes in any order: parents need not come first

    members: list[dict] = []
    for i in range(draw(st.integers(0, 20))):
        branch = draw(st.sampled_from(holders))
        row = {
            # zero-padded ids must stay strings, never be read as numbers
            "id": f"{i:03d}",
            "branch": branch,
            "group": draw(st.none() | st.sampled_from(groups_of[branch])) if groups_of.get(branch) else None,
            "status": draw(st.sampled_from(["full", "full", "probationary"])),
            "active": draw(st.sampled_from([True, True, True, False])),
            "home_host": draw(st.none() | st.sampled_from(hosts)),
            "retired": draw(st.booleans()),
        }
        members.append(row)
    member_ids = [m["id"] for m in members]
    org_ids = committees + generals + branches + [g for gs in groups_of.values() for g in gs]
    all_units = [u["id"] for u in units]
    participation = (
        draw(st.lists(st.tuples(st.sampled_from(member_ids), st.sampled_from(all_units)), max_size=8, unique=True))
        if member_ids
        else []
    )
    people = member_ids + ["outsider"]
    roles = draw(st.lists(
        st.builds(lambda u, r, p: {"unit": u, "role": r, "person": p},
                  st.sampled_from(org_ids), st.sampled_from(ROLES), st.sampled_from(people)),
        max_size=4,
    ))
    alliances = []
    if len(org_ids) >= 2:
        pairs = draw(st.lists(st.tuples(st.sampled_from(org_ids), st.sampled_from(org_ids)), max_size=3))
        alliances = [p for p in pairs if p[0] != p[1]]
    adjacency = []
    if len(hosts) >= 2:
        pairs = draw(st.lists(st.tuples(st.sampled_from(hosts), st.sampled_from(hosts)), max_size=3))
        adjacency = [p for p in pairs if p[0] != p[1]]
    return Structure.from_records(
        toy_kinds(), units=units, members=members, participation=participation, roles=roles,
        alliances=alliances, adjacency=adjacency,
    )


# -- plans ------------------------------------------------------------------------------------


@dataclass
class _Sim:
    """What the plan has done so far, as plain Python: the reference model of apply."""

    kind: dict[str, str]
    parent: dict[str, str | None]
    order: list[str]
    hosts: list[str]
    loc: dict[str, tuple[str, str | None]]  # active member -> (branch ref, group ref)
    unmoved: list[str]  # every member id not moved yet
    dissolved: set[str] = field(default_factory=set)
    moved: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # member -> op destination
    move_targets: set[str] = field(default_factory=set)
    created: list[str] = field(default_factory=list)  # keys, in creation order

    @classmethod
    def of(cls, s: Structure) -> _Sim:
        orgs = s.unit_ids(role="org")
        active = s.members["active"]
        ids = s.members.ids.tolist()
        return cls(
            kind={u: s.kind_of(u) for u in orgs},
            parent={u: s.parent(u) for u in orgs},
            order=list(orgs),
            hosts=s.unit_ids(role="host"),
            loc={m: (s.branch_of(m), s.group_of(m)) for m, a in zip(ids, active, strict=True) if a},
            unmoved=list(ids),
        )

    def live(self, *kinds: str) -> list[str]:
        return [u for u in self.order if u not in self.dissolved and (not kinds or self.kind[u] in kinds)]

    def children(self, unit: str) -> list[str]:
        return [u for u in self.live() if self.parent[u] == unit]

    def has_members(self, unit: str) -> bool:
        return any(b == unit for b, _ in self.loc.values())

    def add(self, ref: str, kind: str, parent: str | None) -> None:
        self.kind[ref] = kind
        self.parent[ref] = parent
        self.order.append(ref)


def _final_id(ref: str | None, step: int) -> str | None:
    if ref is None or not ref.startswith(NEW):
        return ref
    return new_unit_id(VARIANT, step, ref[len(NEW):])


@dataclass(frozen=True)
class Drawn:
    """A plan and what the reference model expects of it."""

    plan: Plan
    step: int
    expected: dict[str, tuple[str, str | None]]  # active member -> final (branch id, group id)
    moves: dict[str, tuple[str, str | None]]  # moved member -> destination named by the move (ids)
    undisturbed: frozenset[str]  # moved members whose destination the plan never dissolves
    created: tuple[str, ...]  # ids of created units, in creation order


ACTIONS = (
    "create_unit", "create_unit", "create_host", "retype", "dissolve", "dissolve", "attach",
    "move", "move", "move", "add_participation", "remove_participation", "set_role", "clear_role",
    "link_alliance", "unlink_alliance", "set_attributes",
)


@st.composite
def plans_on(draw: st.DrawFn, s: Structure, step: int = 1) -> Drawn:
    """A random valid plan on ``s`` and the final member locations it should produce."""
    sim = _Sim.of(s)
    b = PlanBuilder(s, strategy="random", params={"seed": draw(st.integers(0, 9))},
                    templates={"why": {"en": "because {n}", "zh": "因为{n}"}})
    all_members = s.members.ids.tolist()

    def reason() -> tuple[str, dict]:
        return ("why", {"n": draw(SCALARS)})

    def pick(options: list, *, allow_none: bool = False):  # noqa: ANN202
        if not options:
            return None
        return draw(st.none() | st.sampled_from(options)) if allow_none else draw(st.sampled_from(options))

    def move(members: list[str], to: str, group: str | None) -> None:
        b.move(members, to=to, group=group, reason=reason())
        for m in members:
            sim.unmoved.remove(m)
            sim.moved[m] = (to, group)
            if m in sim.loc:
                sim.loc[m] = (to, group)
        sim.move_targets.update({to} | ({group} if group else set()))

    def move_some(to: str) -> None:
        if not sim.unmoved:
            return
        chosen = draw(st.lists(st.sampled_from(sim.unmoved), min_size=1, max_size=5, unique=True))
        move(chosen, to, pick([g for g in sim.children(to) if sim.kind[g] == GROUP], allow_none=True))

    for _ in range(draw(st.integers(0, 12))):
        action = draw(st.sampled_from(ACTIONS))
        if action == "create_unit":
            kind = draw(st.sampled_from([COMMITTEE, GENERAL, BRANCH, BRANCH, GROUP]))
            parents = {
                COMMITTEE: [],
                GENERAL: sim.live(COMMITTEE),
                BRANCH: sim.live(COMMITTEE, GENERAL),
                GROUP: sim.live(BRANCH),
            }[kind]
            if kind == GROUP and not parents:
                continue
            parent = pick(parents, allow_none=kind != GROUP)
            key = f"k{len(sim.created)}"
            hosts = draw(st.lists(st.sampled_from(sim.hosts), max_size=3, unique=True)) if sim.hosts else []
            ref = b.create_unit(key, kind=kind, name=draw(NAMES), parent=parent, built_on=hosts,
                                tags=["new"], attrs=draw(st.dictionaries(st.sampled_from("xyz"), SCALARS, max_size=2)),
                                reason=reason())
            sim.add(ref, kind, parent)
            sim.created.append(key)
            if kind == BRANCH and draw(st.booleans()):
                move_some(ref)
        elif action == "create_host":
            key = f"k{len(sim.created)}"
            ref = b.create_host(key, kind=draw(st.sampled_from(HOST_KINDS)), name=f"host {key}",
                                parent=pick(sim.hosts, allow_none=True), reason=reason())
            sim.hosts.append(ref)
            sim.created.append(key)
        elif action == "retype":
            options = [u for u in sim.live(GENERAL) if sim.parent[u] is None] + [
                u for u in sim.live(COMMITTEE) if not any(sim.kind[c] == GENERAL for c in sim.children(u))
            ]
            if not options:
                continue
            unit = draw(st.sampled_from(options))
            kind = COMMITTEE if sim.kind[unit] == GENERAL else GENERAL
            b.retype(unit, kind=kind, name=draw(st.none() | st.just(f"retyped {unit}")), reason=reason())
            sim.kind[unit] = kind
        elif action == "dissolve":
            options = sim.live(COMMITTEE, GENERAL, BRANCH, GROUP)
            if not options:
                continue
            unit = draw(st.sampled_from(options))
            kind = sim.kind[unit]
            children = sim.children(unit)
            children_to = None
            if children:
                homes = {COMMITTEE: [COMMITTEE], GENERAL: [COMMITTEE, GENERAL], BRANCH: [BRANCH]}[kind]
                choices = [u for u in sim.live(*homes) if u != unit]
                if not choices:
                    continue
                children_to = draw(st.sampled_from(choices))
            members_to = members_group = None
            if kind == BRANCH:
                others = [u for u in sim.live(BRANCH) if u != unit]
                if sim.has_members(unit) or (others and draw(st.booleans())):
                    if not others:
                        continue
                    members_to = draw(st.sampled_from(others))
            elif kind == GROUP:
                members_to = pick([u for u in sim.live(BRANCH)], allow_none=True)
            if members_to is not None:
                members_group = pick(
                    [g for g in sim.children(members_to) if sim.kind[g] == GROUP and g != unit], allow_none=True
                )
            b.dissolve(unit, members_to=members_to, members_group=members_group, children_to=children_to,
                       reason=reason())
            for c in children:
                sim.parent[c] = children_to
            sim.dissolved.add(unit)
            for m, (br, gr) in list(sim.loc.items()):
                if br == unit or (kind == GROUP and gr == unit and members_to is not None):
                    sim.loc[m] = (members_to, members_group)
                elif gr == unit:
                    sim.loc[m] = (br, None)
        elif action == "attach":
            options = sim.live(GENERAL, BRANCH)
            if not options:
                continue
            unit = draw(st.sampled_from(options))
            parents = sim.live(COMMITTEE) if sim.kind[unit] == GENERAL else sim.live(COMMITTEE, GENERAL)
            parent = pick(parents, allow_none=True)
            b.attach(unit, parent=parent, reason=reason())
            sim.parent[unit] = parent
        elif action == "move":
            targets = sim.live(BRANCH) + [u for u in sim.live("core.external")]
            if targets:
                move_some(draw(st.sampled_from(targets)))
        elif action in ("add_participation", "remove_participation"):
            units = sim.live() + sim.hosts
            if not all_members or not units:
                continue
            chosen = draw(st.lists(st.sampled_from(all_members), min_size=1, max_size=4, unique=True))
            getattr(b, action)(chosen, unit=draw(st.sampled_from(units)), reason=reason())
        elif action in ("set_role", "clear_role"):
            units = sim.live(COMMITTEE, GENERAL, BRANCH, GROUP)
            if not units:
                continue
            unit, role = draw(st.sampled_from(units)), draw(st.sampled_from(ROLES))
            person = pick(all_members + ["outsider"], allow_none=action == "clear_role")
            if action == "set_role":
                b.set_role(unit, role=role, person=person, since="2024-01-01", reason=reason())
            else:
                b.clear_role(unit, role=role, person=person, reason=reason())
        elif action in ("link_alliance", "unlink_alliance"):
            units = sim.live(COMMITTEE, GENERAL, BRANCH, GROUP)
            if len(units) < 2:
                continue
            unit, coordinator = draw(st.lists(st.sampled_from(units), min_size=2, max_size=2, unique=True))
            getattr(b, action)(unit, coordinator=coordinator, reason=reason())
        elif action == "set_attributes":
            units = sim.live(COMMITTEE, GENERAL, BRANCH, GROUP)
            if not units:
                continue
            changes: dict = {}
            if draw(st.booleans()):
                changes["name"] = draw(NAMES)
            if draw(st.booleans()):
                changes["tags"] = draw(st.lists(st.sampled_from(["a", "b", "joint"]), max_size=2, unique=True))
            if draw(st.booleans()):
                changes["attrs"] = {"note": draw(SCALARS)}
            if sim.hosts and draw(st.booleans()):
                changes["built_on"] = draw(st.lists(st.sampled_from(sim.hosts), max_size=3, unique=True))
            b.set_attributes(draw(st.sampled_from(units)), reason=reason(), **changes)

    undisturbed = frozenset(m for m, (to, group) in sim.moved.items() if to not in sim.dissolved and group not in sim.dissolved)
    return Drawn(
        plan=b.build(),
        step=step,
        expected={m: (_final_id(br, step), _final_id(gr, step)) for m, (br, gr) in sim.loc.items()},
        moves={m: (_final_id(to, step), _final_id(gr, step)) for m, (to, gr) in sim.moved.items()},
        undisturbed=undisturbed,
        created=tuple(new_unit_id(VARIANT, step, k) for k in sim.created),
    )


@st.composite
def structure_and_plan(draw: st.DrawFn) -> tuple[Structure, Drawn]:
    s = draw(toy_structures())
    return s, draw(plans_on(s, step=draw(st.integers(0, 3))))


def _apply(s: Structure, d: Drawn, plan: Plan | None = None) -> Structure:
    return apply(s, d.plan if plan is None else plan, variant=VARIANT, step=d.step)


# -- helpers ----------------------------------------------------------------------------------


def _snapshot(s: Structure) -> dict:
    """A deep copy of everything a Structure holds."""
    u = s.units
    return {
        "units": {name: copy.deepcopy(getattr(u, name).tolist())
                  for name in ("ids", "kind", "parent", "name", "dissolved", "tags", "attrs")},
        "member_ids": s.members.ids.tolist(),
        "columns": {name: np.array(col, copy=True) for name, col in s.members.columns.items()},
        "edges": {name: (getattr(s, name).src.tolist(), getattr(s, name).dst.tolist())
                  for name in ("built_on_edges", "alliance_edges", "adjacency_edges", "participation")},
        "roles": copy.deepcopy(s.roles),
        "personal": {k: v.tolist() for k, v in s.personal.items()},
        "fingerprint": s.fingerprint,
    }


def _assert_same(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        if key == "columns":
            assert before[key].keys() == after[key].keys()
            for name, col in before[key].items():
                np.testing.assert_array_equal(col, after[key][name], err_msg=f"member column {name} changed")
                assert col.dtype == after[key][name].dtype
        else:
            assert before[key] == after[key], f"{key} changed"


# -- properties -------------------------------------------------------------------------------


@SETTINGS
@given(structure_and_plan())
def test_members_are_never_lost_or_duplicated(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    after = _apply(s, d)
    assert after.members.ids.tolist() == s.members.ids.tolist()
    np.testing.assert_array_equal(after.members["active"], s.members["active"])
    active = after.members["active"]
    branch = after.members["branch"]
    kinds = after.kinds
    assert ((branch >= 0) & (branch < after.n_units))[active].all()
    assert kinds.is_branch[after.units.kind[branch[active]]].all(), "an active member's branch holds no members"
    assert not after.units.dissolved[branch[active]].any(), "an active member is in a dissolved unit"
    group = after.members["group"]
    has_group = active & (group >= 0)
    assert kinds.is_group[after.units.kind[group[has_group]]].all()
    assert (after.units.parent[group[has_group]] == branch[has_group]).all()
    live_branches = ~after.units.dissolved & kinds.is_branch[after.units.kind]
    sizes = after.sizes()
    assert int(sizes[live_branches].sum()) == int(active.sum())
    # the top of every tree counts each active member exactly once
    roots = ~after.units.dissolved & kinds.is_org[after.units.kind] & (after.units.parent < 0)
    assert int(after.sizes(subtree=True)[roots].sum()) == int(active.sum())


@SETTINGS
@given(structure_and_plan())
def test_apply_never_mutates_its_input(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    before = _snapshot(s)
    plan_json = d.plan.to_json()
    _apply(s, d)
    _assert_same(before, _snapshot(s))
    assert s.replace().fingerprint == before["fingerprint"], "recomputed fingerprint differs"
    assert d.plan.to_json() == plan_json, "apply changed the plan"
    assert all(not col.flags.writeable for col in s.members.columns.values())


@SETTINGS
@given(structure_and_plan())
def test_apply_is_deterministic(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    first, second = _apply(s, d), _apply(s, d)
    assert first.fingerprint == second.fingerprint
    assert first.units.ids.tolist() == second.units.ids.tolist()
    assert first.roles == second.roles


@SETTINGS
@given(structure_and_plan())
def test_plan_json_round_trip_applies_the_same(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    again = Plan.from_json(d.plan.to_json())
    assert again == d.plan
    assert again.to_json() == d.plan.to_json()
    assert _apply(s, d, again).fingerprint == _apply(s, d).fingerprint


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=structure_and_plan())
def test_plan_files_round_trip_with_and_without_parquet(tmp_path_factory: pytest.TempPathFactory,
                                                        case: tuple[Structure, Drawn]) -> None:
    s, d = case
    folder = tmp_path_factory.mktemp("plan")
    inline = folder / "inline.json"
    assert d.plan.save(inline) is None and not (folder / "inline.moves.parquet").exists()
    side = folder / "side.json"
    sidecar = d.plan.save(side, inline_rows=-1)  # every table, even an empty one, to Parquet
    assert sidecar == folder / "side.moves.parquet" and sidecar.exists()
    want = _apply(s, d).fingerprint
    for path in (inline, side):
        again = Plan.load(path)
        assert again == d.plan
        assert again.moves.member.dtype == object and again.moves.reason.dtype == np.int32
        assert again.transfers() == d.plan.transfers()
        assert _apply(s, d, again).fingerprint == want


@SETTINGS
@given(structure_and_plan())
def test_moves_table_holds_every_move_once(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    t = d.plan.moves
    assert sorted(t.member.tolist()) == sorted(d.moves)  # one row per moved member, none twice
    assert {m: (_final_id(to, d.step), _final_id(g, d.step)) for m, to, g, _ in d.plan.transfers()} == d.moves
    assert len({(r.code, repr(sorted(r.params.items())), r.text) for r in d.plan.reasons}) == len(d.plan.reasons)
    assert all(not getattr(t, c).flags.writeable for c in t.COLUMNS)
    # the table read back as operations (version 1) applies to the same structure
    v1 = Plan(strategy=d.plan.strategy, params=d.plan.params, fingerprint=d.plan.fingerprint, templates=d.plan.templates,
              operations=d.plan.as_written())
    assert v1 == d.plan
    assert _apply(s, d, v1).fingerprint == _apply(s, d).fingerprint
    batches = d.plan.move_batches()
    assert sorted(m for op in batches for m in op.members) == sorted(t.member.tolist())


@SETTINGS
@given(structure_and_plan())
def test_members_end_where_the_plan_says(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    after = _apply(s, d)
    for m, (to, group) in d.moves.items():
        if m in d.undisturbed:
            assert after.branch_of(m) == to, m
            assert after.group_of(m) == group, m
    # every active member, moved or not, is where the reference model puts it
    active = dict(zip(after.members.ids.tolist(), after.members["active"].tolist(), strict=True))
    got = {m: (after.branch_of(m), after.group_of(m)) for m, a in active.items() if a}
    assert got == d.expected
    # unmoved inactive members keep their row untouched
    for m, a in active.items():
        if not a and m not in d.moves:
            assert after.branch_of(m) == s.branch_of(m)


@SETTINGS
@given(structure_and_plan())
def test_baseline_ids_keep_their_codes(case: tuple[Structure, Drawn]) -> None:
    s, d = case
    after = _apply(s, d)
    n = s.n_units
    assert after.units.ids[:n].tolist() == s.units.ids.tolist()
    assert after.units.ids[n:].tolist() == list(d.created)
    for uid in s.units.ids.tolist():
        assert after.unit_code(uid) == s.unit_code(uid)
    # a unit the plan does not retype keeps its kind
    retyped = {op.unit for op in d.plan.operations if op.op == "retype"}
    for c, uid in enumerate(s.units.ids.tolist()):
        if uid not in retyped:
            assert after.units.kind[c] == s.units.kind[c]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_two_steps_in_a_row(data: st.DataObject) -> None:
    """A plan proposed on the result of another (with dissolved units in it) applies cleanly."""
    s = data.draw(toy_structures())
    first = data.draw(plans_on(s, step=1))
    middle = _apply(s, first)
    second = data.draw(plans_on(middle, step=2))
    before = _snapshot(middle)
    after = _apply(middle, second)
    _assert_same(before, _snapshot(middle))
    assert after.units.ids[: s.n_units].tolist() == s.units.ids.tolist()
    assert after.units.ids[: middle.n_units].tolist() == middle.units.ids.tolist()
    active = dict(zip(after.members.ids.tolist(), after.members["active"].tolist(), strict=True))
    assert {m: (after.branch_of(m), after.group_of(m)) for m, a in active.items() if a} == second.expected
