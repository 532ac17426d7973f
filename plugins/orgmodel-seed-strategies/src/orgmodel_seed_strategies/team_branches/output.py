"""Writing the plan of one upgrade: the upgraded or dissolved branch, the new branches and groups, the
old groups, the member moves, and the proposed office holders."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from orgmodel_party import propose_branch_roles

from orgmodel import zh_numeral

from ..packing import even_parts
from ..units import roles_in
from .facts import Block, Upgrade
from .targets import BRANCH, GENERAL_BRANCH

__all__ = ["emit"]

COMMITTEE = "party.committee"
GROUP = "party.group"


def emit(up: Upgrade, blocks: list[Block]) -> None:
    """Write the plan for one upgrade: retype (or set up beside) the branch, create the blocks' branches and
    groups, handle the old groups, propose office holders, and move the members (one operation per
    destination, group and reason)."""
    s, p, plan, b, sh = up.s, up.p, up.plan, up.b, up.sh
    parent = up.unit.parent
    target = GENERAL_BRANCH
    if p.upgrade_to == "by_size" and up.size >= 100:
        target = COMMITTEE
    allowed = s.kinds[target].allowed_parents
    can_retype = parent is None or allowed is None or s.kind_of(parent) in allowed
    container = b if can_retype else parent
    n_team = sum(1 for blk in blocks if blk.kind != "comprehensive")
    if can_retype:
        stem = up.unit.name[: -len("党支部")] if up.unit.name.endswith("党支部") else up.area_name
        new_name = s.kinds[target].name_template.format(host=stem)
        plan.retype(b, kind=target, name=new_name, reason=("upgrade", {
            "unit": up.unit.name, "size": up.size, "threshold": p.threshold, "name": new_name,
            "branches": len(blocks), "teams": n_team}))
    else:
        new_name = up.unit.name
    base = b
    refs: list[str] = []
    for blk in blocks:
        blk.key = f"{base}-{blk.label}"
        full = up.full_of(blk.members)
        if blk.parts > 1:
            reason = ("split_part", {"base": blk.base_name, "total": blk.total, "max": p.max_branch,
                                     "parts": blk.parts, "name": blk.name, "part": blk.part, "size": len(blk.members)})
        elif blk.kind == "team":
            t = blk.teams[0]
            reason = ("team_branch", {"team": up.tname(t), "count": up.team_count[t], "min_team": p.min_team_members,
                                      "name": blk.name, "size": len(blk.members), "full": full})
        elif blk.kind == "joint":
            names = "、".join(up.tname(t) for t in blk.teams[:3])
            reason = ("joint_branch", {"teams": names, "k": len(blk.teams), "min_team": p.min_team_members,
                                       "min_full": p.min_branch_full, "name": blk.name, "size": len(blk.members), "full": full})
        elif n_team == 0:
            reason = ("comprehensive_only", {"unit": up.unit.name, "count": len(blk.members), "name": blk.name})
        else:
            immobile = int(up.sh.immobile[np.asarray(blk.members, dtype=np.int64)].sum())
            reason = ("comprehensive_branch", {"count": len(blk.members), "immobile": immobile, "name": blk.name})
        tags = ["team"] if blk.kind != "comprehensive" else ["comprehensive"]
        hosts = [str(up.sh.unit_ids[t]) for t in blk.teams]
        refs.append(plan.create_unit(blk.key, kind=BRANCH, name=blk.name, parent=container, built_on=hosts,
                                     tags=tags, reason=reason))
    # old groups and other children
    groups = old_children(up, blocks, refs, can_retype, target, new_name)
    # team groups
    member_group: dict[int, str | None] = dict(groups)
    new_groups: list[tuple[Block, str, str, list[int]]] = []
    for blk, ref in zip(blocks, refs, strict=True):
        n = len(blk.members)
        if p.group_size is None or n <= p.group_size or any(m in groups for m in blk.members):
            continue
        k = math.ceil(n / p.group_size)
        ordered = sorted(blk.members, key=lambda m: (up.block_team(blk, m), int(up.sh.home[m]), m))
        for i, chunk in enumerate(even_parts(ordered, k), start=1):
            members = sorted(chunk.tolist())
            gname = f"{blk.name}第{zh_numeral(i)}党小组"
            hosts = sorted({t for m in members for t in up.teams_of.get(m, ()) if t in blk.teams})
            gref = plan.create_unit(f"{blk.key}-g{i}", kind=GROUP, name=gname, parent=ref,
                                    built_on=[str(up.sh.unit_ids[t]) for t in hosts],
                                    reason=("team_group", {"branch": blk.name, "size": n, "group_size": p.group_size,
                                                           "k": k, "name": gname, "n": len(members)}))
            for m in members:
                member_group[m] = gref
            new_groups.append((blk, gref, gname, members))
    if not can_retype:
        children = [c for c in s.children(b) if s.kinds[s.kind_of(c)].relation != "group"]
        plan.dissolve(b, children_to=parent if children else None, reason=("beside", {
            "unit": up.unit.name, "size": up.size, "threshold": p.threshold,
            "parent": str(s.unit(parent).name), "branches": len(blocks), "teams": n_team}))
    if sh.committee is not None:
        propose_roles(up, blocks, refs, new_groups + up.leaderless)
    # moves: one operation per destination, group and reason
    for blk, ref in zip(blocks, refs, strict=True):
        batches: dict[tuple[str | None, str, tuple[tuple[str, Any], ...]], list[int]] = {}
        for m in blk.members:
            code, params = blk.why[m]
            batches.setdefault((member_group.get(m), code, params), []).append(m)
        for (gref, code, params), members in sorted(batches.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])):
            rp = dict(params)
            rp.update({"n": len(members), "to": blk.name})
            plan.move(up.sh.ids[np.sort(np.asarray(members, dtype=np.int64))].tolist(), to=ref, group=gref,
                      reason=(code, rp))


def old_children(up: Upgrade, blocks: list[Block], refs: list[str], can_retype: bool, target: str,
                  new_name: str) -> dict[int, str]:
    """Dissolve or re-attach the old branch's groups; returns member -> kept group ref."""
    s, p, plan = up.s, up.p, up.plan
    kept: dict[int, str] = {}
    up.leaderless: list[tuple[Block, str, str, list[int]]] = []
    where = {m: i for i, blk in enumerate(blocks) for m in blk.members}
    branch_codes = np.asarray(up.codes, dtype=np.int64)
    for child in s.children(up.b):
        kind = s.kinds[s.kind_of(child)]
        cname = str(s.unit(child).name)
        if kind.relation == "group":
            members = np.intersect1d(s.member_codes_of(child), branch_codes).tolist()  # the group's, in code order
            dest = None
            if p.old_groups == "reattach":
                counts = Counter(where[m] for m in members if blocks[where[m]].kind == "comprehensive")
                if counts:
                    i, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                    if n >= 3:
                        dest = i
            if dest is None:
                plan.dissolve(child, reason=("group_dissolved", {
                    "unit": up.unit.name, "group": cname, "size": len(members),
                    "kind": s.kinds[target].label_zh if can_retype else "原支部",
                    "kind_en": s.kinds[target].label_en if can_retype else "dissolved branch"}))
                continue
            going = [m for m in members if where[m] == dest]
            plan.attach(child, parent=refs[dest], reason=("group_reattached", {
                "group": cname, "n": len(going), "to": blocks[dest].name}))
            for m in going:
                kept[m] = child
            led = False
            for r in roles_in(s, child):
                pc = up.sh.code_of_holder.get(r.person)
                if pc is not None and pc not in going:
                    plan.clear_role(child, role=r.role, person=r.person,
                                    reason=("group_leader_left", {"person": r.person, "group": cname}))
                elif r.role == "group_leader":
                    led = True
            if not led:
                up.leaderless.append((blocks[dest], child, cname, going))
        elif can_retype and kind.allowed_parents is not None and s.kinds[target].id not in kind.allowed_parents:
            plan.attach(child, parent=refs[0], reason=("child_moved", {"unit": up.unit.name, "child": cname, "to": blocks[0].name}))
    return kept


def propose_roles(up: Upgrade, blocks: list[Block], refs: list[str], new_groups: list[tuple[Block, str, str, list[int]]]) -> None:
    """A secretary (below the committee threshold) or a committee for each new branch
    (:func:`orgmodel_party.propose_branch_roles`), and a leader for each new group; only full members,
    ranked by :func:`orgmodel_party.rank_for_office` (able, backbone, under 76, not busy in the old
    branch, joined earliest)."""
    s, plan, sh = up.s, up.plan, up.sh

    place = sh.office_place  # = rank_for_office(s, members, busy_in=up.b): every member is up.b's

    def ranked(members: list[int]) -> np.ndarray:
        codes = np.unique(np.asarray(members, dtype=np.int64))
        return codes[np.argsort(place[codes])]

    chosen: dict[int, int] = {}
    for bi, (blk, ref) in enumerate(zip(blocks, refs, strict=True)):
        order = ranked(blk.members)
        full = order[sh.full[order]]
        if not len(full):
            continue
        propose_branch_roles(s, plan, ref, blk.name, order, committee=sh.committee, order=order,
                             backbone=sh.backbone, since=sh.since)
        chosen[bi] = int(full[0])  # the secretary
    index = {id(blk): i for i, blk in enumerate(blocks)}
    for blk, gref, gname, members in new_groups:
        secretary = chosen.get(index[id(blk)])
        full = [m for m in ranked(members).tolist() if sh.full[m]]
        cands = [m for m in full if m != secretary] or full
        if not cands:
            continue
        m = cands[0]
        basis = "backbone" if sh.backbone[m] else "senior"
        plan.set_role(gref, role="group_leader", person=str(sh.ids[m]), since=sh.since,
                      reason=(f"group_leader_{basis}", {"group": gname, "size": len(members), "person": str(sh.ids[m])}))
