"""The party behaviour model's parameters: every one named, with a default and where it comes from.

Rates are per year unless the name says otherwise; the model turns them into per-period
probabilities (``1 - (1 - rate) ** (months / 12)``). docs/simulation.md lists each parameter with
its source: a figure of a seed (seed 004 is 《创新组织方式范文》, the team-based party building of a
large urban community), a regulation, or plainly "an assumption to calibrate".

>>> p = PartyParams()
>>> p.reach_per_backbone, p.members_meeting_months, p.probation_months
(16.5, 3, 12)
>>> PartyParams(move_away_rate=-0.1)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for PartyParams
move_away_rate
  Input should be greater than or equal to 0 [type=greater_than_equal, input_value=-0.1, input_type=float]
    For further information visit https://errors.pydantic.dev/...
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["PartyParams", "BACKBONE_ROLES"]

# secretaries, deputies, committee members and group leaders (RULES.md committee.when; the party
# pack's backbone metric counts the same roles)
BACKBONE_ROLES = ("secretary", "deputy_secretary", "committee_member", "group_leader")



def _rate(default: float, description: str) -> float:
    return Field(default, ge=0, le=1, description=description)  # type: ignore[return-value]


class PartyParams(BaseModel):
    """Parameters of the ``party`` behaviour model (see docs/simulation.md for the sources)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- population -------------------------------------------------------------------------
    mortality_a: float = Field(3.7e-5, ge=0, le=1, description="Gompertz hazard at age 0 (per year)")
    mortality_b: float = Field(0.093, ge=0, le=0.5, description="Gompertz growth of the hazard per year of age")
    move_away_rate: float = _rate(0.01, "members who move out of the community, per year")
    transfer_in_rate: float = _rate(0.08, "members transferred in, per year, as a share of active members")
    recruits_per_team: float = Field(0.2, ge=0, le=50, description="new members recruited per active team per year")
    team_branch_recruit_factor: float = Field(2.0, ge=0, le=20, description="recruiting in teams a branch is built on, times")
    activist_team_min: int = Field(3, ge=1, le=1000, description="members a team needs before it recruits")
    probation_months: int = Field(12, ge=0, le=60, description="months a new member is probationary")
    recruit_age_min: float = Field(25, ge=18, le=100, description="youngest age of a recruit")
    recruit_age_max: float = Field(55, ge=18, le=100, description="oldest age of a recruit")
    retirement_age: float = Field(60, ge=40, le=80, description="age members retire at")
    # -- mobility ---------------------------------------------------------------------------
    mobile_onset_rate: float = _rate(0.01, "working members who start working away (become mobile), per year")
    mobile_return_rate: float = _rate(0.25, "mobile members who come back, per year")
    mobile_transfer_rate: float = _rate(0.5, "members away 6 months or more who transfer their relation out, per year")
    immobile_onset_rate: float = _rate(0.04, "members aged 75 and over who become mobility-limited, per year")
    immobile_onset_rate_young: float = _rate(0.002, "members under 75 who become mobility-limited, per year")
    # -- teams ------------------------------------------------------------------------------
    team_fold_rate: float = _rate(0.04, "teams of 3 or more members that fold, per year")
    small_team_fold_rate: float = _rate(0.2, "teams of fewer than 3 members that fold, per year")
    team_form_rate: float = Field(0.05, ge=0, le=20, description="new teams per branch per year")
    team_branch_form_rate: float = Field(0.5, ge=0, le=20, description="new teams per team branch per year")
    team_founders: int = Field(3, ge=1, le=100, description="members who found a new team")
    join_team_rate: float = _rate(0.03, "able members in no team who join one, per year")
    team_branch_join_factor: float = Field(2.0, ge=0, le=20, description="joining in a team branch, times")
    leave_team_rate: float = _rate(0.05, "members who stop taking part in a team, per year")
    # -- organisational life (三会一课) ------------------------------------------------------
    members_meeting_months: int = Field(3, ge=1, le=24, description="months between members' meetings (支部党员大会)")
    committee_meeting_months: int = Field(1, ge=1, le=24, description="months between branch committee meetings")
    group_meeting_months: int = Field(1, ge=1, le=24, description="months between party group meetings")
    lecture_months: int = Field(3, ge=1, le=24, description="months between party lectures (党课)")
    attend_base: float = _rate(0.8, "chance a reached, able member of a small branch attends a meeting held")
    size_reference: float = Field(30, gt=0, le=10_000, description="branch size up to which size does not lower attendance")
    size_penalty: float = Field(0.35, ge=0, le=10, description="fall in attendance per doubling of size above size_reference")
    aligned_bonus: float = _rate(0.1, "added to attendance when the member's branch is built on a team they take part in")
    in_team_bonus: float = _rate(0.05, "added to attendance for members taking part in any team")
    working_factor: float = _rate(0.7, "attendance of working (not retired) members, times")
    mobile_factor: float = _rate(0.1, "attendance of mobile members (away), times")
    immobile_factor: float = _rate(0.15, "attendance of mobility-limited members, times")
    reach_per_backbone: float = Field(16.5, gt=0, le=10_000, description="members one backbone person keeps in touch with")
    unreached_factor: float = _rate(0.5, "attendance of members beyond the backbone's reach, times")
    room_capacity_default: float = Field(80, gt=0, le=100_000, description="seats when a branch's unit gives no room_capacity")
    team_branch_rooms: bool = Field(True, description="branches built on teams meet where their teams meet (no room limit)")
    mobile_contact_rate: float = _rate(0.5, "chance per month that a reached mobile member is contacted")
    # -- backbone ---------------------------------------------------------------------------
    backbone_roles: tuple[str, ...] = Field(BACKBONE_ROLES, description="roles that make a member backbone")
    committee_size: int = Field(5, ge=3, le=7, description="branch committee seats incl. the secretary (7+ full members)")
    committee_full_min: int = Field(7, ge=1, le=1000, description="full members from which a branch has a committee")
    term_years: float = Field(5, gt=0, le=20, description="years between elections (换届)")
    backbone_max_age: float = Field(75, ge=40, le=120, description="role holders older than this step down at an election")
    vacancy_fill_months: float = Field(3, gt=0, le=120, description="mean months until a vacant seat is filled (补选)")
    successor_team_weight: float = Field(1.0, ge=0, le=100, description="preference for team activists as successors")

    @model_validator(mode="after")
    def _ranges(self) -> PartyParams:
        if self.recruit_age_min > self.recruit_age_max:
            raise ValueError("recruit_age_min is larger than recruit_age_max")
        return self
