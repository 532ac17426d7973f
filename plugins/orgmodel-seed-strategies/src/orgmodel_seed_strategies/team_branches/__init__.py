"""Team branches (团队党建, seed 004): an oversized residential branch becomes a general branch
with branches built on the interest teams its members take part in.

What the plan does, for every residential branch in the step's scope (not locked) with more than
``threshold`` members:

1. the branch is upgraded in place (``retype``, same id) to a general branch named
   ``…党总支`` (``upgrade_to="by_size"``: a base committee ``…党委`` from 100 members); if its
   parent cannot hold a general branch (it sits under a general branch already), the new
   branches are set up beside it under that parent and the old branch is dissolved;
2. a team with at least ``min_team_members`` of its members taking part gets its own team
   branch (tag ``team``, built on the team); small teams share a joint team branch (built on
   several teams: joint is derived), one per team kind (``joint_by="team_kind"``) or one for
   all (``"all"``), and joint branches under ``min_joint_members`` are merged (瑞丽's 文体 joint
   branch); a branch that would have fewer than ``min_branch_full`` full members is not
   created: a team branch folds into the joint branch, a joint branch into another joint branch
   or the comprehensive branch;
3. a member in several teams goes to the team branch with the fewest members, a backbone member
   to the one with the fewest backbone members;
4. members in no team and (``immobile="comprehensive"``) immobile members go to a comprehensive
   branch (tag ``comprehensive``), or with ``comprehensive="spread"`` are spread over the team
   branches for balance (the 汽三 pattern): each to the smallest branch, preferring their own
   team's branch and the branch with most neighbours (same home host); with
   ``comprehensive="fill"`` one comprehensive branch is filled to ``max_branch`` (immobile members
   first) and the rest are spread so (瑞丽's single comprehensive branch in a larger area). Nobody
   is left out;
5. a branch over ``max_branch`` members is split into parts on the same team(s);
6. backbone members (secretary, committee member, group leader, or the ``backbone`` column) are
   moved from the branch with the most to the one with the fewest while they differ by 2 or
   more (a branch with none first), where their teams allow it;
7. the old party groups are dissolved (a group cannot sit under a general branch), or with
   ``old_groups="reattach"`` moved with their members into the comprehensive branch; team
   branches over ``group_size`` members get party groups (团队党小组);
8. with ``propose_roles``, each new branch gets a secretary (fewer than 7 full members) or a
   committee of 3 (5 from 25 full members), backbone members first; each new group a leader.

Every operation carries a reason naming the unit and the numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orgmodel_party import CommitteeRule

from orgmodel import Strategy

from ..limits import with_rule_defaults
from . import grouping, output
from .facts import Facts, Upgrade
from .params import RULE_DEFAULTS, Params
from .targets import targets
from .templates import TEMPLATES

__all__ = ["TeamBranches", "Params"]


class TeamBranches(Strategy):
    """Upgrade oversized residential branches to general branches with team branches under them."""

    name = "team-branches"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = RULE_DEFAULTS
    domain = "party"
    label_zh = "团队党建：依托团队设置党支部"
    label_en = "team branches"
    description = (
        "团队党建（种子004：汽三、瑞丽）：超过规模的居民区党支部升格为党总支，依托党员参加的群众团队建立团队党支部、"
        "团队联合党支部和综合党支部，兼顾规模与骨干力量平衡，不丢下一个党员。 "
        "Team-based party building (seed 004): an oversized residential branch becomes a general branch with "
        "team branches, joint team branches and a comprehensive branch, balanced in size and backbone."
    )
    Params = Params
    templates = TEMPLATES

    # -- entry ----------------------------------------------------------------------------

    contract_params = (  # what the contract kit checks it with
        {},
        {"comprehensive": "spread", "old_groups": "reattach", "upgrade_to": "by_size", "joint_by": "all"},
        {"threshold": 20, "max_branch": 20, "group_size": 5, "min_team_members": 1, "propose_roles": False},
    )

    def propose(self, ctx: Any, params: Params) -> Any:
        s = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        plan = ctx.plan()
        chosen = targets(ctx, params)
        if not chosen:
            return plan.build()
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        facts = Facts(s, ctx, committee)
        for branch in chosen:
            plan_branch(Upgrade(s, facts, params, plan, branch))
        return plan.build()


def plan_branch(up: Upgrade) -> None:
    """Group one oversized branch's members into blocks and write its part of the plan."""
    own = sorted(t for t, c in up.team_count.items() if c >= up.p.min_team_members)
    while True:
        blocks, small = grouping.assign_own(up, own)
        weak = [blk for blk in blocks if up.full_of(blk.members) < up.p.min_branch_full]
        if not weak:
            break
        drop = min(weak, key=lambda blk: (up.full_of(blk.members), len(blk.members), blk.teams[0]))
        own = [t for t in own if t != drop.teams[0]]
    joints, to_pool = grouping.joint_blocks(up, small)
    blocks = blocks + joints
    pool = up.codes[up.pool_mask]
    reason = np.where(up.sh.immobile[pool], grouping.IMMOBILE, grouping.NO_TEAM)
    if to_pool:
        extra = np.asarray(to_pool, dtype=np.int64)
        pool = np.concatenate([pool, extra])
        reason = np.concatenate([reason, np.full(len(extra), grouping.JOINT_TOO_SMALL)])
        order = np.argsort(pool, kind="stable")
        pool, reason = pool[order], reason[order]
    blocks = grouping.place_pool(up, blocks, pool, reason)
    if len(blocks) == 1 and blocks[0].kind == "comprehensive" and up.size <= up.p.max_branch:
        return  # no team can carry a branch and the branch needs no split: leave it
    blocks = grouping.split_oversized(up, blocks)
    if up.p.balance_backbone:
        grouping.balance_backbone(up, blocks)
    output.emit(up, blocks)
