"""Names of the branches ``team-branches`` creates: a team's branch, a joint branch by team kinds, the
comprehensive branch."""

from __future__ import annotations

from .facts import Block, Upgrade

__all__ = ["name_block", "KIND_SHORT"]

KIND_SHORT = {"team:learning": "学习", "team:culture": "文艺", "team:sports": "体育", "team:service": "公益"}


def name_block(up: Upgrade, blk: Block) -> None:
    """Name a block: ``歌咏队党支部``, ``东区文体团队联合党支部``, ``东区综合党支部``."""
    if blk.kind == "team":
        blk.name = f"{up.tname(blk.teams[0])}党支部"
    elif blk.kind == "joint":
        kinds = sorted({up.sh.team_kind_tag(t) for t in blk.teams})
        short = {KIND_SHORT.get(k, "") for k in kinds}
        if short == {"文艺", "体育"}:
            label = "文体"
        else:
            label = "".join(KIND_SHORT.get(k, "") for k in kinds)
        blk.name = f"{up.area_name}{label}团队联合党支部"
    else:
        blk.name = f"{up.area_name}综合党支部"
