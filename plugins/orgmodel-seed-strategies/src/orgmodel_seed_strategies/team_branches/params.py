"""Parameters of ``team-branches`` and where its size parameters take their defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..limits import COMMITTEE_FROM, MAX_SIZE, MIN_FULL

__all__ = ["Params", "RULE_DEFAULTS"]

#: Where the size parameters take their defaults.
RULE_DEFAULTS = {"threshold": MAX_SIZE, "max_branch": MAX_SIZE, "min_branch_full": MIN_FULL,
                 "min_joint_members": COMMITTEE_FROM}


class Params(BaseModel):
    """Parameters of ``team-branches``."""

    model_config = ConfigDict(extra="forbid")

    threshold: int | None = Field(None, ge=1, description="a residential branch with more than this many members (all, probationary included) is upgraded (default: the rule branch.max_size)")
    min_team_members: int = Field(3, ge=1, description="a team with at least this many of the branch's members taking part gets its own team branch")
    max_branch: int | None = Field(None, ge=2, description="no branch may have more members than this; larger ones are split into parts on the same team(s) (default: the rule branch.max_size)")
    min_branch_full: int | None = Field(None, ge=1, description="a branch needs at least this many full members to be created; smaller ones fold into a joint or the comprehensive branch (default: the rule branch.min_full)")
    joint_by: Literal["team_kind", "all"] = Field("team_kind", description="small teams share a joint team branch per team kind (team:culture...) or one for all")
    min_joint_members: int | None = Field(None, ge=1, description="joint team branches smaller than this are merged with the next smallest joint branch (team kinds mixed), as 瑞丽's 文体 joint branch (default: where a branch gets a committee, the condition of the rule committee.when, 7 full members)")
    comprehensive: Literal["branch", "spread"] = Field("branch", description="members in no team go to a comprehensive branch (瑞丽), or are spread over the team branches for balance (汽三)")
    immobile: Literal["comprehensive", "team"] = Field("comprehensive", description="bedridden or immobile members (mobility_limited) are placed with the members in no team, or like anyone else by their teams")
    group_size: int | None = Field(15, ge=3, description="a new branch with more members than this gets ceil(size/group_size) party groups; null: no groups")
    old_groups: Literal["dissolve", "reattach"] = Field("dissolve", description="the upgraded branch's party groups are dissolved, or moved into the comprehensive branch with their members who go there")
    upgrade_to: Literal["general_branch", "by_size"] = Field("general_branch", description="the upgraded branch becomes a general branch (the seed), or a base committee from 100 members (RULES committee_base.when)")
    balance_backbone: bool = Field(True, description="a branch with no backbone member receives one from the branch with the most")
    propose_roles: bool = Field(True, description="propose a secretary or branch committee (from 7 full members, the rule committee.when) for each new branch and a leader for each new group, backbone members first")

    @field_validator("min_branch_full")
    @classmethod
    def _min_below_max(cls, value: int | None, info: ValidationInfo) -> int | None:
        top = info.data.get("max_branch")
        if value is not None and top is not None and value > top:
            raise ValueError(f"min_branch_full ({value}) must not exceed max_branch ({top})")
        return value

    @field_validator("group_size")
    @classmethod
    def _group_below_max(cls, value: int | None, info: ValidationInfo) -> int | None:
        top = info.data.get("max_branch")
        if value is not None and top is not None and value >= top:
            raise ValueError(f"group_size ({value}) must be smaller than max_branch ({top})")
        return value
