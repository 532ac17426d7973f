"""Grouping the members of an oversized branch into blocks: own-team branches, joint team branches,
the comprehensive pool, spreading it, splitting blocks over the maximum, balancing backbone members."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..naming import part_name
from ..packing import even_slices
from . import branch_names
from .facts import Block, Upgrade

__all__ = ["assign_own", "joint_blocks", "place_pool", "fill_first", "spread", "split_oversized", "balance_backbone"]


def assign_own(up: Upgrade, own: list[int]) -> tuple[list[Block], dict[int, list[int]]]:
    """Members to own-team blocks; returns the blocks and the small-team members."""
    ids = up.sh.unit_id_list
    blocks = {t: Block("team", [t], f"team-{ids[t]}") for t in own}
    single: dict[int, list[int]] = {t: [] for t in own}
    multi: list[tuple[int, list[int]]] = []
    small: dict[int, list[int]] = {}
    for m in up.codes[~up.pool_mask].tolist():
        ts = up.teams_of[m]
        mine = [t for t in ts if t in blocks]
        if len(mine) == 1:
            single[mine[0]].append(m)
        elif mine:
            multi.append((m, mine))
        else:
            small[m] = ts
    for t, members in single.items():
        blocks[t].add_many(members, "move_team", team=up.tname(t))
    bb = up.sh.bb_list
    multi.sort(key=lambda x: (not bb[x[0]], x[0]))
    backbone_in = {t: up.bb_of(blk.members) for t, blk in blocks.items()} if multi else {}
    for m, mine in multi:
        cands = [blocks[t] for t in mine]
        if bb[m]:
            dest = min(cands, key=lambda blk: (backbone_in[blk.teams[0]], len(blk.members), blk.teams[0]))
            dest.add(m, "move_multi_backbone")
            backbone_in[dest.teams[0]] += 1
        else:
            dest = min(cands, key=lambda blk: (len(blk.members), blk.teams[0]))
            dest.add(m, "move_multi_fewest")
    return [blocks[t] for t in own], small


def joint_blocks(up: Upgrade, small: dict[int, list[int]]) -> tuple[list[Block], list[int]]:
    """Members of small teams into joint blocks; returns the blocks and members left for the pool."""
    if not small:
        return [], []

    def key(t: int) -> str:
        return up.sh.team_kind_tag(t) if up.p.joint_by == "team_kind" else "all"

    blocks: dict[str, Block] = {}
    later: list[tuple[int, list[str]]] = []
    for m in sorted(small):
        keys = sorted({key(t) for t in small[m]})
        if len(keys) == 1:
            blocks.setdefault(keys[0], Block("joint", [], f"joint-{keys[0]}")).add(m, "move_joint")
        else:
            later.append((m, keys))
    for m, keys in later:
        for k in keys:
            blocks.setdefault(k, Block("joint", [], f"joint-{k}"))
        dest = min((blocks[k] for k in keys), key=lambda blk: (len(blk.members), blk.label))
        dest.add(m, "move_joint")
    ordered = [blocks[k] for k in sorted(blocks)]
    good = [blk for blk in ordered if up.full_of(blk.members) >= up.p.min_branch_full]
    weak = [blk for blk in ordered if up.full_of(blk.members) < up.p.min_branch_full]
    to_pool: list[int] = []
    if weak:
        merged = Block("joint", [], "joint-mixed")
        for blk in weak:
            for m in blk.members:
                merged.add(m, "move_joint")
        if up.full_of(merged.members) >= up.p.min_branch_full:
            good.append(merged)
        elif good:
            dest = min(good, key=lambda blk: (len(blk.members), blk.label))
            for m in merged.members:
                dest.add(m, "move_joint")
        else:
            to_pool = list(merged.members)
    good.sort(key=lambda blk: (len(blk.members), blk.label))
    while len(good) >= 2 and len(good[0].members) < up.p.min_joint_members:
        a, b = good.pop(0), good.pop(0)
        both = Block("joint", [], "+".join(sorted([a.label, b.label.removeprefix("joint-")])))
        for m in sorted(a.members + b.members):
            both.add(m, "move_joint")
        good.append(both)
        good.sort(key=lambda blk: (len(blk.members), blk.label))
    good.sort(key=lambda blk: blk.label)
    for blk in good:
        blk.teams = sorted({t for m in blk.members for t in small[m]})
    return good, to_pool


#: Why a member is in the pool (``place_pool``'s ``reason``): in no team, immobile, or in small teams
#: whose joint branch would have been too small.
NO_TEAM, IMMOBILE, JOINT_TOO_SMALL = 0, 1, 2
_REASON_NAMES = ("no_team", "immobile", "joint_too_small")


def place_pool(up: Upgrade, blocks: list[Block], pool: np.ndarray, reason: np.ndarray) -> list[Block]:
    """Place members in no team (and immobile ones) in a comprehensive block, or spread them over the blocks.

    ``pool`` holds member codes ascending, ``reason`` each one's reason (``NO_TEAM``, ``IMMOBILE``, ``JOINT_TOO_SMALL``).
    """
    if not len(pool):
        return blocks
    comp = Block("comprehensive", list(up.host_codes), "comprehensive")
    pool_full = up.full_of(pool)
    immobile = reason == IMMOBILE
    if not blocks:
        comp.add_many(pool[immobile].tolist(), "move_immobile")
        comp.add_many(pool[~immobile].tolist(), "move_no_team")
        comp.members.sort()
        return [comp]
    fill_first_then_spread = (up.p.comprehensive == "fill" and len(pool) > up.p.max_branch
                              and pool_full >= up.p.min_branch_full)
    if up.p.comprehensive in ("branch", "fill") and pool_full >= up.p.min_branch_full and not fill_first_then_spread:
        return blocks + [whole_pool(up, comp, pool, reason)]
    names = dict(zip(pool.tolist(), [_REASON_NAMES[r] for r in reason.tolist()], strict=True))
    pool_list = pool.tolist()
    if fill_first_then_spread:
        stay, rest = fill_first(up, pool_list)
        for m in stay:
            comp.add(m, "move_immobile" if names[m] == "immobile" else "move_no_team")
        overflow = spread(up, blocks, rest, names, cause="move_comp_full", pool_full=up.p.max_branch)
        for m in overflow:
            comp.add(m, "move_overflow", max=up.p.max_branch)
        return blocks + [comp]
    cause = "move_comp_too_small" if up.p.comprehensive in ("branch", "fill") else None
    overflow = spread(up, blocks, pool_list, names, cause=cause, pool_full=pool_full)
    if not overflow:
        return blocks
    if up.full_of(overflow) >= up.p.min_branch_full:
        for m in overflow:
            comp.add(m, "move_overflow", max=up.p.max_branch)
        return blocks + [comp]
    for m in overflow:  # too few to found a branch: into the smallest blocks (split later)
        dest = min(blocks, key=lambda blk: (len(blk.members), blocks.index(blk)))
        dest.add(m, "move_spread")
    return blocks


def whole_pool(up: Upgrade, comp: Block, pool: np.ndarray, reason: np.ndarray) -> Block:
    """The comprehensive block with the whole pool in it, each member with the reason it is in the pool."""
    comp.add_many(pool[reason == IMMOBILE].tolist(), "move_immobile")
    comp.add_many(pool[reason == NO_TEAM].tolist(), "move_no_team")
    comp.add_many(pool[reason == JOINT_TOO_SMALL].tolist(), "move_joint_too_small", min_full=up.p.min_branch_full)
    comp.members.sort()
    return comp


def fill_first(up: Upgrade, pool: list[int]) -> tuple[list[int], list[int]]:
    """The comprehensive branch's members when it is filled first: immobile members first, then the
    others in roster order (neighbours together), up to ``max_branch``; returns (stay, rest).

    The seed's 瑞丽 keeps one comprehensive branch; what does not fit is spread over the team branches.
    """
    order = sorted(pool, key=lambda m: (not up.sh.immobile[m], m))
    full = [m for m in order[: up.p.max_branch] if up.sh.full[m]]
    if len(full) < up.p.min_branch_full:  # keep enough full members to found the branch
        extra = [m for m in order[up.p.max_branch:] if up.sh.full[m]][: up.p.min_branch_full - len(full)]
        order = extra + [m for m in order if m not in set(extra)]
    return sorted(order[: up.p.max_branch]), sorted(order[up.p.max_branch:])


def spread(up: Upgrade, blocks: list[Block], pool: list[int], reason: dict[int, str], *, cause: str | None,
            pool_full: int) -> list[int]:
    """Water-fill the pool over the blocks up to max_branch; returns the members that did not fit."""
    sizes = [len(blk.members) for blk in blocks]
    cap = up.p.max_branch
    level = min(sizes)
    while level < cap and sum(max(0, level - x) for x in sizes) < len(pool):
        level += 1
    neighbours = [Counter(int(up.sh.home[m]) for m in blk.members) for blk in blocks]
    team_sets = [set(blk.teams) for blk in blocks]
    order = sorted(pool, key=lambda m: (not up.sh.immobile[m], not up.sh.backbone[m], m))
    overflow: list[int] = []
    for m in order:
        cands = [i for i, blk in enumerate(blocks) if len(blk.members) < level]
        if not cands:
            cands = [i for i, blk in enumerate(blocks) if len(blk.members) < cap]
        if not cands:
            overflow.append(m)
            continue
        mine = set(up.teams_of.get(m, ()))
        home = int(up.sh.home[m])

        def affinity(i: int) -> int:
            return (1000 if team_sets[i] & mine else 0) + neighbours[i][home]

        if up.sh.backbone[m]:
            i = min(cands, key=lambda i: (up.bb_of(blocks[i].members), -affinity(i), len(blocks[i].members), i))
        else:
            i = min(cands, key=lambda i: (-affinity(i), len(blocks[i].members), i))
        if cause is not None:
            blocks[i].add(m, cause, full=pool_full, min_full=up.p.min_branch_full)
        elif reason[m] == "immobile":
            blocks[i].add(m, "move_spread_immobile")
        else:
            blocks[i].add(m, "move_spread")
        neighbours[i][home] += 1
    return sorted(overflow)


def split_oversized(up: Upgrade, blocks: list[Block]) -> list[Block]:
    """Name every block and cut those over ``max_branch`` into even parts on the same team(s)."""
    out: list[Block] = []
    for blk in blocks:
        branch_names.name_block(up, blk)
        n = len(blk.members)
        if n <= up.p.max_branch:
            blk.total = n
            out.append(blk)
            continue
        k = math.ceil(n / up.p.max_branch)
        ordered = up.ordered_by_team(blk, blk.members)
        for i, chunk in enumerate(even_slices(ordered, k), start=1):
            part = Block(blk.kind, list(blk.teams), f"{blk.label}-{i}")
            part.members = sorted(chunk)
            part.why = dict(zip(part.members, map(blk.why.__getitem__, part.members), strict=True))
            part.base_name = blk.name
            part.name = part_name(blk.name, i)
            part.part, part.parts, part.total = i, k, n
            if blk.kind == "joint":
                part.teams = sorted({t for m in part.members for t in up.teams_of.get(m, ()) if t in blk.teams}) or list(blk.teams)
            out.append(part)
    return out


def balance_backbone(up: Upgrade, blocks: list[Block]) -> None:
    """Move backbone members from the branch with the most to the one with the fewest.

    A branch with none is served first; otherwise a move is made while two branches differ
    by 2 or more. A backbone member may move to a team branch only if they take part in its
    team, or if they sit where they are for no team of theirs (spread, pool); into the
    comprehensive branch anyone may move. Each member moves at most once.
    """
    bb, full = up.sh.bb_list, up.sh.full_list
    team_sets = [set(blk.teams) for blk in blocks]

    def movable(m: int, di: int, ri: int) -> bool:
        mine = up.teams_of.get(m, ())
        return (blocks[ri].kind == "comprehensive" or not team_sets[ri].isdisjoint(mine)
                or (blocks[di].kind != "comprehensive" and team_sets[di].isdisjoint(mine)))

    # backbone members still free to move, and the counts, per block: kept up to date move by move
    free = [list(filter(bb.__getitem__, blk.members)) for blk in blocks]
    counts = [len(f) for f in free]
    fulls = [up.full_of(blk.members) for blk in blocks]
    n = len(blocks)
    while n and max(counts) - min(counts) >= 2:
        move = None
        donors = sorted(range(n), key=lambda i: (-counts[i], -len(blocks[i].members), i))
        for ri in sorted(range(n), key=lambda i: (counts[i], len(blocks[i].members), i)):
            recv = blocks[ri]
            if len(recv.members) >= up.p.max_branch:
                continue
            for di in donors:
                donor = blocks[di]
                if di == ri or counts[di] - counts[ri] < 2:
                    continue
                cands = [m for m in free[di] if movable(m, di, ri)]
                if fulls[di] - 1 < up.p.min_branch_full:
                    cands = [m for m in cands if not full[m]]
                if cands:
                    m = min(cands, key=lambda m: (not up.led_group(m), donor.why[m][0] != "move_multi_backbone", m))
                    move = (m, di, ri)
                    break
            if move:
                break
        if move is None:
            return
        m, di, ri = move
        donor, recv = blocks[di], blocks[ri]
        donor.remove(m)
        recv.add(m, "move_backbone_balance", from_=donor.name)
        free[di].remove(m)
        counts[di] -= 1
        counts[ri] += 1
        fulls[di] -= full[m]
        fulls[ri] += full[m]
