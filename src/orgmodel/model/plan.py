"""Plans: what a strategy proposes, as a closed, versioned, JSON-serialisable list of operations.

Strategies never mutate a structure. They return a :class:`Plan`: operations, each with a
:class:`Reason` (a code plus parameters, rendered through zh/en templates the plan carries). Units
the plan creates are named by plan-local keys and referred to as ``new:KEY``;
:func:`orgmodel.model.apply.apply` turns them into ids derived from variant, step and key.

>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> b = PlanBuilder(s, strategy="example", templates={
...     "team_branch": {"en": "a branch on team {team}", "zh": "依托{team}建立支部"}})
>>> choir = b.create_unit("choir", kind="toy.branch", name="歌咏队支部", parent="gb",
...                       built_on=["t1"], reason=("team_branch", {"team": "t1"}))
>>> choir
'new:choir'
>>> b.move(["m1", "m6"], to=choir, reason=("team_branch", {"team": "t1"}))
>>> plan = b.build()
>>> [op.op for op in plan.operations]
['create_unit', 'move_members']
>>> plan.operations[1].reason.render("zh", plan.templates)
'依托t1建立支部'
>>> Plan.from_json(plan.to_json()) == plan
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orgmodel.errors import UserError

if TYPE_CHECKING:
    from orgmodel.model.structure import Structure

__all__ = [
    "PLAN_VERSION",
    "NEW",
    "Reason",
    "Operation",
    "Plan",
    "PlanBuilder",
    "CreateUnit",
    "CreateHost",
    "Retype",
    "Dissolve",
    "Attach",
    "SetAttributes",
    "LinkAlliance",
    "UnlinkAlliance",
    "AddParticipation",
    "RemoveParticipation",
    "SetRole",
    "ClearRole",
    "MoveMembers",
]

PLAN_VERSION = 1
NEW = "new:"

Scalar = Union[str, int, float, bool, None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Model):
    """Why an operation is there: a code, its parameters, and optional free text.

    >>> Reason(code="too_big", params={"n": 329}).render("en", {"too_big": {"en": "{n} members"}})
    '329 members'
    >>> Reason(code="manual", text="the planner's correction").render("zh", {})
    "the planner's correction"
    """

    code: str = Field(min_length=1)
    params: dict[str, Scalar] = Field(default_factory=dict)
    text: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """A plain sentence is a reason too (code ``manual``), as planners write in scenarios."""
        if isinstance(value, str):
            return {"code": "manual", "text": value}
        return value

    def render(self, lang: str, templates: Mapping[str, Mapping[str, str]]) -> str:
        """The reason as a sentence in ``lang`` ("zh" or "en")."""
        template = templates.get(self.code, {}).get(lang)
        if template:
            try:
                return template.format(**self.params)
            except (KeyError, IndexError, ValueError):
                pass
        if self.text:
            return self.text
        args = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.code}({args})" if args else self.code


ReasonLike = Union[Reason, str, tuple[str, Mapping[str, Any]]]


def as_reason(value: ReasonLike) -> Reason:
    """A Reason from a Reason, a code, or a (code, params) pair."""
    if isinstance(value, Reason):
        return value
    if isinstance(value, str):
        return Reason(code=value)
    code, params = value
    return Reason(code=code, params=dict(params))


class _Op(_Model):
    reason: Reason


class CreateUnit(_Op):
    """Create an organisation unit; refer to it later in the plan as ``new:KEY``."""

    op: Literal["create_unit"] = "create_unit"
    key: str = Field(min_length=1)
    kind: str
    name: str
    parent: str | None = None
    built_on: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    attrs: dict[str, Scalar] = Field(default_factory=dict)


class CreateHost(_Op):
    """Create a host unit (a team, a grid, an association), optionally part of another host."""

    op: Literal["create_host"] = "create_host"
    key: str = Field(min_length=1)
    kind: str
    name: str
    parent: str | None = None
    tags: list[str] = Field(default_factory=list)


class Retype(_Op):
    """Change a unit's kind in place (a branch upgraded to a general branch keeps its id)."""

    op: Literal["retype"] = "retype"
    unit: str
    kind: str
    name: str | None = None


class Dissolve(_Op):
    """Dissolve a unit; its remaining members go to ``members_to``, its children to ``children_to``.

    For a group, members without a destination simply leave the group and stay in the branch.
    """

    op: Literal["dissolve"] = "dissolve"
    unit: str
    members_to: str | None = None
    members_group: str | None = None
    children_to: str | None = None


class Attach(_Op):
    """Put a unit under a new parent (``None`` makes it a root)."""

    op: Literal["attach"] = "attach"
    unit: str
    parent: str | None


class SetAttributes(_Op):
    """Change a unit's name, tags, attributes or the hosts it is built on."""

    op: Literal["set_attributes"] = "set_attributes"
    unit: str
    name: str | None = None
    tags: list[str] | None = None
    attrs: dict[str, Scalar] | None = None
    built_on: list[str] | None = None


class LinkAlliance(_Op):
    """Ally a unit with a coordinating unit (subordination is unchanged)."""

    op: Literal["link_alliance"] = "link_alliance"
    unit: str
    coordinator: str


class UnlinkAlliance(_Op):
    """Remove an alliance link."""

    op: Literal["unlink_alliance"] = "unlink_alliance"
    unit: str
    coordinator: str


class AddParticipation(_Op):
    """Members take part in a unit (a team, an industry branch) without moving their relation."""

    op: Literal["add_participation"] = "add_participation"
    members: list[str]
    unit: str


class RemoveParticipation(_Op):
    """Members stop taking part in a unit."""

    op: Literal["remove_participation"] = "remove_participation"
    members: list[str]
    unit: str


class SetRole(_Op):
    """Someone takes a role in a unit (secretary, committee member, group leader...)."""

    op: Literal["set_role"] = "set_role"
    unit: str
    role: str
    person: str
    since: str | None = None

    @field_validator("since", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        """A date written in YAML (2024-02-28) is kept as its ISO text."""
        return value.isoformat() if hasattr(value, "isoformat") else value


class ClearRole(_Op):
    """Remove a role (from one person, or from whoever holds it when ``person`` is None)."""

    op: Literal["clear_role"] = "clear_role"
    unit: str
    role: str
    person: str | None = None


class MoveMembers(_Op):
    """Move members' one relation to branch ``to`` (and optionally a group of it), in bulk."""

    op: Literal["move_members"] = "move_members"
    members: list[str]
    to: str
    group: str | None = None


Operation = Annotated[
    Union[
        CreateUnit,
        CreateHost,
        Retype,
        Dissolve,
        Attach,
        SetAttributes,
        LinkAlliance,
        UnlinkAlliance,
        AddParticipation,
        RemoveParticipation,
        SetRole,
        ClearRole,
        MoveMembers,
    ],
    Field(discriminator="op"),
]

OPERATION_TYPES = {
    cls.model_fields["op"].default: cls
    for cls in (
        CreateUnit, CreateHost, Retype, Dissolve, Attach, SetAttributes, LinkAlliance,
        UnlinkAlliance, AddParticipation, RemoveParticipation, SetRole, ClearRole, MoveMembers,
    )
}


class Plan(_Model):
    """A versioned list of operations proposed on one structure (named by its fingerprint)."""

    plan_version: Literal[1] = PLAN_VERSION
    strategy: str = "manual"
    params: dict[str, Any] = Field(default_factory=dict)
    fingerprint: str | None = Field(default=None, description="structure the plan was proposed on")
    templates: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="reason code -> {lang: template}"
    )
    operations: list[Operation] = Field(default_factory=list)

    @field_validator("operations")
    @classmethod
    def _unique_keys(cls, ops: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for i, op in enumerate(ops):
            key = getattr(op, "key", None)
            if key is not None:
                if key in seen:
                    raise ValueError(f"operation {i}: key {key!r} is created twice")
                seen.add(key)
        return ops

    def to_json(self, *, indent: int | None = 1) -> str:
        """The plan as JSON text (stable key order)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=indent, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        """Read a plan from JSON; a bad plan raises UserError with the field path."""
        from pydantic import ValidationError

        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            err = exc.errors()[0]
            path = ".".join(str(p) for p in err["loc"])
            raise UserError(f"invalid plan: {path}: {err['msg']}") from None

    def transfers(self) -> list[tuple[str, str, str | None, str]]:
        """Every member move: (member id, destination branch ref, group ref, reason code)."""
        rows = []
        for op in self.operations:
            if isinstance(op, MoveMembers):
                rows.extend((m, op.to, op.group, op.reason.code) for m in op.members)
        return rows

    def counts(self) -> dict[str, int]:
        """Number of operations of each type, sorted by type."""
        out: dict[str, int] = {}
        for op in self.operations:
            out[op.op] = out.get(op.op, 0) + 1
        return dict(sorted(out.items()))


class PlanBuilder:
    """A convenient way for a strategy to write a plan; every call needs a reason.

    Methods return the reference to use for a created unit (``new:KEY``).
    """

    def __init__(
        self,
        structure: Structure | None = None,
        *,
        strategy: str = "manual",
        params: Mapping[str, Any] | None = None,
        templates: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.strategy = strategy
        self.params = dict(params or {})
        self.fingerprint = structure.fingerprint if structure is not None else None
        self.templates = {k: dict(v) for k, v in (templates or {}).items()}
        self.operations: list[Any] = []

    def add(self, op: Any) -> None:
        """Append a ready-made operation."""
        self.operations.append(op)

    def create_unit(self, key: str, *, kind: str, name: str, reason: ReasonLike, parent: str | None = None,
                    built_on: Sequence[str] = (), tags: Sequence[str] = (),
                    attrs: Mapping[str, Any] | None = None) -> str:
        """Create an organisation unit; returns ``new:KEY``."""
        self.add(CreateUnit(key=key, kind=kind, name=name, parent=parent, built_on=list(built_on),
                            tags=list(tags), attrs=dict(attrs or {}), reason=as_reason(reason)))
        return NEW + key

    def create_host(self, key: str, *, kind: str, name: str, reason: ReasonLike,
                    parent: str | None = None, tags: Sequence[str] = ()) -> str:
        """Create a host unit; returns ``new:KEY``."""
        self.add(CreateHost(key=key, kind=kind, name=name, parent=parent, tags=list(tags),
                            reason=as_reason(reason)))
        return NEW + key

    def retype(self, unit: str, *, kind: str, reason: ReasonLike, name: str | None = None) -> None:
        """Change a unit's kind in place."""
        self.add(Retype(unit=unit, kind=kind, name=name, reason=as_reason(reason)))

    def dissolve(self, unit: str, *, reason: ReasonLike, members_to: str | None = None,
                 members_group: str | None = None, children_to: str | None = None) -> None:
        """Dissolve a unit, saying where its members and children go."""
        self.add(Dissolve(unit=unit, members_to=members_to, members_group=members_group,
                          children_to=children_to, reason=as_reason(reason)))

    def attach(self, unit: str, *, parent: str | None, reason: ReasonLike) -> None:
        """Put a unit under a new parent."""
        self.add(Attach(unit=unit, parent=parent, reason=as_reason(reason)))

    def set_attributes(self, unit: str, *, reason: ReasonLike, **changes: Any) -> None:
        """Change name, tags, attrs or built_on of a unit."""
        self.add(SetAttributes(unit=unit, reason=as_reason(reason), **changes))

    def link_alliance(self, unit: str, *, coordinator: str, reason: ReasonLike) -> None:
        """Ally a unit with a coordinating unit."""
        self.add(LinkAlliance(unit=unit, coordinator=coordinator, reason=as_reason(reason)))

    def unlink_alliance(self, unit: str, *, coordinator: str, reason: ReasonLike) -> None:
        """Remove an alliance link."""
        self.add(UnlinkAlliance(unit=unit, coordinator=coordinator, reason=as_reason(reason)))

    def add_participation(self, members: Iterable[str], *, unit: str, reason: ReasonLike) -> None:
        """Members take part in a unit."""
        self.add(AddParticipation(members=list(members), unit=unit, reason=as_reason(reason)))

    def remove_participation(self, members: Iterable[str], *, unit: str, reason: ReasonLike) -> None:
        """Members stop taking part in a unit."""
        self.add(RemoveParticipation(members=list(members), unit=unit, reason=as_reason(reason)))

    def set_role(self, unit: str, *, role: str, person: str, reason: ReasonLike,
                 since: str | None = None) -> None:
        """Someone takes a role in a unit."""
        self.add(SetRole(unit=unit, role=role, person=person, since=since, reason=as_reason(reason)))

    def clear_role(self, unit: str, *, role: str, reason: ReasonLike, person: str | None = None) -> None:
        """Remove a role."""
        self.add(ClearRole(unit=unit, role=role, person=person, reason=as_reason(reason)))

    def move(self, members: Iterable[str], *, to: str, reason: ReasonLike, group: str | None = None) -> None:
        """Move members' relation to branch ``to`` (one operation, any number of members)."""
        members = [str(m) for m in members]
        if members:
            self.add(MoveMembers(members=members, to=to, group=group, reason=as_reason(reason)))

    def build(self) -> Plan:
        """The finished plan."""
        return Plan(strategy=self.strategy, params=self.params, fingerprint=self.fingerprint,
                    templates=self.templates, operations=list(self.operations))
