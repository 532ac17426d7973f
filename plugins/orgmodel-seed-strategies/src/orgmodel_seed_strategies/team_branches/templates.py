"""Reason templates of ``team-branches``: one zh/en text per reason code of its plan."""

from __future__ import annotations

from orgmodel_party import ROLE_TEMPLATES

__all__ = ["TEMPLATES"]


def _group_leader_templates() -> dict[str, dict[str, str]]:
    basis = {
        "backbone": ("骨干党员优先", "a backbone member, chosen first"),
        "senior": ("无骨干党员可选，取能正常参加活动、党龄最长的正式党员", "no backbone member available: the able full member with the longest standing"),
    }
    return {f"group_leader_{b}": {
        "zh": "{group}有{size}名党员，由{person}任党小组长（" + zh + "）",
        "en": "{group} has {size} members; {person} is group leader (" + en + ")",
    } for b, (zh, en) in basis.items()}


TEMPLATES: dict[str, dict[str, str]] = {
    "upgrade": {
        "zh": "{unit}有{size}名党员，超过{threshold}人，升格为{name}（编号不变），下设{branches}个党支部，其中团队党支部{teams}个",
        "en": "{unit} has {size} members, more than {threshold}: upgraded in place to {name} (same id), with {branches} branches under it, {teams} of them team branches",
    },
    "beside": {
        "zh": "{unit}有{size}名党员，超过{threshold}人；其上级{parent}不能再下设党总支，改在{parent}下设{branches}个党支部（团队党支部{teams}个），原支部党员全部转入后撤销",
        "en": "{unit} has {size} members, more than {threshold}; its parent {parent} cannot hold a general branch, so {branches} branches ({teams} team branches) are set up under {parent} and the old branch is dissolved once its members have moved",
    },
    "team_branch": {
        "zh": "{team}有{count}名党员参加（不少于{min_team}人），依托{team}建立{name}，编入{size}人（正式党员{full}人）",
        "en": "{team} has {count} members taking part ({min_team} or more): {name} is set up on it with {size} members ({full} full)",
    },
    "joint_branch": {
        "zh": "{teams}等{k}支团队党员人数少（单支团队不足{min_team}人或正式党员不足{min_full}人），联合建立{name}，编入{size}人（正式党员{full}人）",
        "en": "{k} teams ({teams}) each have too few members (fewer than {min_team}, or fewer than {min_full} full): a joint team branch {name} with {size} members ({full} full)",
    },
    "comprehensive_branch": {
        "zh": "{count}名党员未参加团队活动或行动不便（其中行动不便{immobile}人），建立{name}，保证不丢下一个党员",
        "en": "{count} members take part in no team or cannot get about ({immobile} immobile): {name} is set up so that no member is left without a branch",
    },
    "comprehensive_only": {
        "zh": "{unit}的团队中没有党员人数足以单独或联合建立支部的，{count}名党员编入{name}",
        "en": "no team of {unit} has enough members for a branch of its own or a joint one: {count} members go to {name}",
    },
    "split_part": {
        "zh": "{base}有{total}名党员，超过每个支部{max}人的上限，分设{parts}个党支部；{name}为第{part}个，{size}人",
        "en": "{base} would have {total} members, more than {max} per branch: split into {parts} branches on the same hosts; {name} is part {part} with {size} members",
    },
    "team_group": {
        "zh": "{branch}有{size}名党员，超过{group_size}人，分设{k}个党小组；{name}{n}人",
        "en": "{branch} has {size} members, more than {group_size}: {k} party groups; {name} has {n}",
    },
    "group_dissolved": {
        "zh": "{unit}调整后，{group}（{size}人）不能直属{kind}，撤销该党小组，其党员随所在支部重新编组",
        "en": "after {unit} is reorganised, {group} ({size} members) cannot stay under a {kind_en}: dissolved, its members regrouped in their new branches",
    },
    "group_reattached": {
        "zh": "{group}的{n}名党员编入{to}，该党小组改隶{to}",
        "en": "{n} members of {group} go to {to}: the group moves with them under {to}",
    },
    "group_leader_left": {
        "zh": "{person}已编入其他支部，不再担任{group}党小组长",
        "en": "{person} has moved to another branch and no longer leads {group}",
    },
    "child_moved": {
        "zh": "{unit}调整后，{child}改隶{to}",
        "en": "after {unit} is reorganised, {child} is placed under {to}",
    },
    # member moves
    "move_team": {
        "zh": "{n}名党员参加{team}，编入{to}",
        "en": "{n} members take part in {team}: to {to}",
    },
    "move_multi_fewest": {
        "zh": "{n}名党员同时参加多支团队，编入其中党员人数较少的{to}，平衡支部规模",
        "en": "{n} members take part in several teams: to {to}, the one with fewer members, to balance sizes",
    },
    "move_multi_backbone": {
        "zh": "{n}名骨干党员同时参加多支团队，编入骨干较少的{to}，平衡骨干力量",
        "en": "{n} backbone members take part in several teams: to {to}, the one with fewer backbone members",
    },
    "move_joint": {
        "zh": "{n}名党员所参加的团队党员人数少，编入{to}",
        "en": "{n} members take part in small teams: to the joint branch {to}",
    },
    "move_no_team": {
        "zh": "{n}名党员未参加团队活动，编入{to}，保证不丢下一个党员",
        "en": "{n} members take part in no team: to {to}, so that nobody is left without a branch",
    },
    "move_immobile": {
        "zh": "{n}名党员卧床或行动不便，编入{to}，便于就近联系、上门服务",
        "en": "{n} members are bedridden or immobile: to {to}, which keeps in touch with them at home",
    },
    "move_spread": {
        "zh": "{n}名未参加团队活动的党员按支部规模平衡编入{to}（优先同楼栋党员较多的支部），保证不丢下一个党员",
        "en": "{n} members in no team are spread for balance: to {to} (preferring the branch with most neighbours)",
    },
    "move_spread_immobile": {
        "zh": "{n}名卧床或行动不便党员编入{to}（其所参加团队的支部或同楼栋党员较多的支部，便于联系照顾）",
        "en": "{n} bedridden or immobile members go to {to} (their own team's branch or the one with most neighbours, who can look after them)",
    },
    "move_comp_too_small": {
        "zh": "未参加团队的党员中正式党员仅{full}人（不足{min_full}人），不单独建立综合党支部，{n}人按规模平衡编入{to}",
        "en": "members in no team include only {full} full members (fewer than {min_full}): no comprehensive branch; {n} of them go to {to} for balance",
    },
    "move_joint_too_small": {
        "zh": "{n}名党员所参加的小团队合计正式党员不足{min_full}人，无法建立联合党支部，编入{to}",
        "en": "{n} members take part in small teams with fewer than {min_full} full members together: no joint branch, to {to}",
    },
    "move_overflow": {
        "zh": "团队党支部均已达{max}人上限，{n}名未参加团队的党员编入{to}",
        "en": "every team branch has reached {max} members: {n} members in no team go to {to}",
    },
    "move_backbone_balance": {
        "zh": "{to}原无骨干党员，从骨干较多的{from_}调入骨干党员{n}名，平衡骨干力量",
        "en": "{to} had no backbone member: {n} moved in from {from_}, which has more",
    },
    **_group_leader_templates(),
    **ROLE_TEMPLATES,
}
