"""Writing the plan of one upgrade: the upgraded or dissolved branch, the new branches and groups, the
old groups, the member moves, and the proposed office holders."""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
from orgmodel_party import propose_branch_roles

from orgmodel import zh_numeral

from ..packing import even_slices
from ..units import roles_in
from .facts import Block, Upgrade
from .targets import BRANCH, GENERAL_BRANCH

__all__ = ["emit"]

COMMITTEE = "party.committee"
GROUP = "party.group"

#: ``zh_numeral`` for the few group numbers, written once each
_numeral = functools.lru_cache(maxsize=None)(zh_numeral)


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
            immobile = sum(map(up.sh.immobile_list.__getitem__, blk.members))
            reason = ("comprehensive_branch", {"count": len(blk.members), "immobile": immobile, "name": blk.name})
        tags = ["team"] if blk.kind != "comprehensive" else ["comprehensive"]
        hosts = [up.sh.unit_id_list[t] for t in blk.teams]
        refs.append(plan.create_unit(blk.key, kind=BRANCH, name=blk.name, parent=container, built_on=hosts,
                                     tags=tags, reason=reason))
    # old groups and other children
    groups = old_children(up, blocks, refs, can_retype, target, new_name)
    # team groups
    member_group: dict[int, str] = dict(groups)
    new_groups: list[tuple[Block, str, str, list[int]]] = []
    for blk, ref in zip(blocks, refs, strict=True):
        n = len(blk.members)
        if p.group_size is None or n <= p.group_size or (groups and any(m in groups for m in blk.members)):
            continue
        k = math.ceil(n / p.group_size)
        ordered = up.ordered_by_team(blk, blk.members)
        for i, chunk in enumerate(even_slices(ordered, k), start=1):
            members = sorted(chunk)
            gname = f"{blk.name}第{_numeral(i)}党小组"
            hosts = up.block_hosts(blk, members)
            gref = plan.create_unit(f"{blk.key}-g{i}", kind=GROUP, name=gname, parent=ref,
                                    built_on=[up.sh.unit_id_list[t] for t in hosts],
                                    reason=("team_group", {"branch": blk.name, "size": n, "group_size": p.group_size,
                                                           "k": k, "name": gname, "n": len(members)}))
            member_group.update(dict.fromkeys(members, gref))
            new_groups.append((blk, gref, gname, members))
    if not can_retype:
        children = [c for c in s.children(b) if s.kinds[s.kind_of(c)].relation != "group"]
        plan.dissolve(b, children_to=parent if children else None, reason=("beside", {
            "unit": up.unit.name, "size": up.size, "threshold": p.threshold,
            "parent": str(s.unit(parent).name), "branches": len(blocks), "teams": n_team}))
    if sh.committee is not None:
        propose_roles(up, blocks, refs, new_groups + up.leaderless)
    # moves: one operation per destination, group and reason
    ids = sh.id_list
    for blk, ref in zip(blocks, refs, strict=True):
        for (gref, (code, params)), members in batches(blk, member_group):
            plan.move(list(map(ids.__getitem__, members)), to=ref, group=gref,
                      reason=(code, dict(params, n=len(members), to=blk.name)))


def batches(blk: Block, member_group: dict[int, str]) -> list[tuple[tuple[str | None, tuple[str, Any]], list[int]]]:
    """A block's members by (group, reason): ((group ref, reason), member codes ascending), in the order
    (group ref or "", reason code, reason params)."""
    out: defaultdict[tuple[str | None, tuple[str, Any]], list[int]] = defaultdict(list)
    keys = zip(map(member_group.get, blk.members), map(blk.why.__getitem__, blk.members))
    for key, m in zip(keys, blk.members):
        out[key].append(m)
    for members in out.values():
        members.sort()
    return sorted(out.items(), key=lambda kv: (kv[0][0] or "", kv[0][1][0], kv[0][1][1]))


def old_children(up: Upgrade, blocks: list[Block], refs: list[str], can_retype: bool, target: str,
                  new_name: str) -> dict[int, str]:
    """Dissolve or re-attach the old branch's groups; returns member -> kept group ref."""
    s, p, plan = up.s, up.p, up.plan
    kept: dict[int, str] = {}
    up.leaderless: list[tuple[Block, str, str, list[int]]] = []
    reattach = p.old_groups == "reattach"
    where = {m: i for i, blk in enumerate(blocks) for m in blk.members} if reattach else {}
    branch_codes = np.asarray(up.codes, dtype=np.int64)
    units = s.units
    children = s.child_codes(s.unit_code(up.b)).tolist()
    for c, child, kind_code, cname in zip(children, units.ids[children].tolist(), units.kind[children].tolist(),
                                          units.name[children].tolist(), strict=True):
        kind = s.kinds[kind_code]
        cname = str(cname)
        if kind.relation == "group":
            dest = None
            if reattach:
                members = np.intersect1d(s.member_codes_of(child), branch_codes).tolist()  # the group's, in code order
                counts = Counter(where[m] for m in members if blocks[where[m]].kind == "comprehensive")
                if counts:
                    i, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                    if n >= 3:
                        dest = i
            if dest is None:
                plan.dissolve(child, reason=("group_dissolved", {
                    "unit": up.unit.name, "group": cname, "size": int(up.sh.group_in_branch[c]),
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

    # places in the order of rank_for_office(s, members, busy_in=up.b): every member is up.b's
    place_list, full_list = sh.place_list, sh.full_list

    chosen: dict[int, int] = {}
    for bi, (blk, ref) in enumerate(zip(blocks, refs, strict=True)):
        ranked = sorted(blk.members, key=place_list.__getitem__)  # distinct
        secretary = next(filter(full_list.__getitem__, ranked), None)
        if secretary is None:
            continue
        order = np.array(ranked, dtype=np.int64)
        propose_branch_roles(s, plan, ref, blk.name, order, committee=sh.committee, order=order,
                             backbone=sh.backbone, since=sh.since)
        chosen[bi] = secretary
    index = {id(blk): i for i, blk in enumerate(blocks)}
    for blk, gref, gname, members in new_groups:
        secretary = chosen.get(index[id(blk)])
        full = list(filter(full_list.__getitem__, members))
        if not full:
            continue
        m = min([m for m in full if m != secretary] or full, key=place_list.__getitem__)
        basis = "backbone" if sh.bb_list[m] else "senior"
        person = sh.id_list[m]
        plan.set_role(gref, role="group_leader", person=person, since=sh.since,
                      reason=(f"group_leader_{basis}", {"group": gname, "size": len(members), "person": person}))
