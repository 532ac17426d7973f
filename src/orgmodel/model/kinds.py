"""Unit kinds and domain packs: the only domain knowledge the core has, supplied by plugins.

A *domain pack* declares the kinds of unit a structure may hold (organisation units such as a
branch, host units such as a village), their labels in Chinese and English, which kinds hold
members' one relation, which parents each kind may have, and which member statuses count as full.
The core ships two reserved kinds of its own, ``core.unplaced`` and ``core.external``, so a real
baseline can hold members whose relation is lost or who are sent from outside.

>>> pack = DomainPack(
...     name="demo",
...     statuses=("full", "probationary"),
...     full_statuses=("full",),
...     kinds=(
...         UnitKind(id="demo.team", role="host", label_zh="团队", label_en="team"),
...         UnitKind(id="demo.branch", role="org", relation="branch",
...                  label_zh="支部", label_en="branch"),
...         UnitKind(id="demo.group", role="org", relation="group", allowed_parents=("demo.branch",),
...                  label_zh="小组", label_en="group"),
...     ),
... )
>>> kinds = KindTable(pack)
>>> kinds["demo.group"].allowed_parents
('demo.branch',)
>>> [kinds[c].id for c in kinds.codes_where(relation="branch")]
['core.unplaced', 'core.external', 'demo.branch']
>>> kinds["core.unplaced"].relation
'branch'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orgmodel.errors import PluginError

__all__ = ["UnitKind", "DomainPack", "KindTable", "UNPLACED", "EXTERNAL", "CORE_KINDS", "WORD_KEYS"]

UNPLACED = "core.unplaced"
EXTERNAL = "core.external"

_KIND_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class UnitKind(BaseModel):
    """One kind of unit.

    ``role`` is ``"org"`` for organisation units (they form the hierarchy) or ``"host"`` for what
    organisations are built on. ``relation`` says whether members' one relation may point at a
    unit of this kind: ``"branch"`` (the required ``branch`` column of a member), ``"group"`` (the
    optional ``group`` column, a child of the member's branch) or ``None``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    role: Literal["org", "host"]
    relation: Literal["branch", "group"] | None = None
    allowed_parents: tuple[str, ...] | None = Field(
        default=None, description="kinds a unit of this kind may sit under; None: any of its role"
    )
    label_zh: str
    label_en: str
    name_template: str = Field(default="{host}{label_zh}", description="naming of new units")
    colour: str = "#dddddd"
    min_level: int = Field(default=0, description="drawing rank hint: 0 top")

    @field_validator("id")
    @classmethod
    def _namespaced(cls, value: str) -> str:
        if not _KIND_ID.match(value):
            raise ValueError(f"kind id {value!r} must be namespaced like 'pack.kind'")
        return value

    @model_validator(mode="after")
    def _relation_only_on_org(self) -> UnitKind:
        if self.role == "host" and self.relation is not None:
            raise ValueError(f"host kind {self.id} cannot hold members' relation")
        return self


CORE_KINDS = (
    UnitKind(
        id=UNPLACED,
        role="org",
        relation="branch",
        allowed_parents=(),
        label_zh="未落实组织关系",
        label_en="unplaced",
        colour="#ffcccc",
    ),
    UnitKind(
        id=EXTERNAL,
        role="org",
        relation="branch",
        allowed_parents=(),
        label_zh="外部",
        label_en="external",
        colour="#eeeeee",
    ),
)


#: The words a domain pack may give (``DomainPack.words``) and the core's neutral word for each,
#: used where the pack gives none. Besides these keys a pack may give ``status.<status>`` (a member
#: status in words), ``role.<role>`` (a role in words) and ``metric.<metric value>`` (the line the
#: report states under a metric); documented in docs/plugins.md.
WORD_KEYS: dict[str, tuple[str, str]] = {
    "member": ("成员", "member"),
    "members": ("成员", "members"),
    "full_members": ("正式成员", "full members"),
    "branch": ("支部", "branch"),
    "branches": ("支部", "branches"),
    "group": ("小组", "group"),
    "report.counting": ("人数按所在支部计算。", "Sizes count members by the branch they belong to."),
    "report.findings": ("", ""),
    "report.histogram": ("", ""),
}


class DomainPack(BaseModel):
    """What a domain-pack plugin registers: its kinds and member statuses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kinds: tuple[UnitKind, ...]
    statuses: tuple[str, ...] = Field(description="allowed values of the member status column")
    full_statuses: tuple[str, ...] = Field(description="statuses counted as full members")
    label_zh: str = ""
    label_en: str = ""
    words: dict[str, tuple[str, str]] = Field(
        default_factory=dict,
        description="the field's own words, key -> (zh, en): see WORD_KEYS; also status.<status>, "
                    "role.<role> and metric.<metric value>",
    )

    def word(self, key: str, lang: str) -> str:
        """The pack's word for ``key`` in ``lang`` (``zh`` or ``en``), else the core's neutral word
        (:data:`WORD_KEYS`), else ``""``.

        >>> pack = DomainPack(name="demo", kinds=(), statuses=("full",), full_statuses=("full",),
        ...                   words={"member": ("党员", "member")})
        >>> pack.word("member", "zh"), pack.word("branches", "zh"), pack.word("status.full", "en")
        ('党员', '支部', '')
        """
        pair = self.words.get(key) or WORD_KEYS.get(key)
        if pair is None:
            return ""
        return pair[0] if lang == "zh" else pair[1]

    @model_validator(mode="after")
    def _consistent(self) -> DomainPack:
        ids = [k.id for k in self.kinds]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"kind declared twice: {', '.join(dupes)}")
        for kind in self.kinds:
            if kind.id.startswith("core."):
                raise ValueError(f"kind {kind.id}: the 'core.' namespace is reserved")
            for parent in kind.allowed_parents or ():
                if parent not in ids:
                    raise ValueError(f"kind {kind.id}: allowed parent {parent} is not declared")
        unknown = [s for s in self.full_statuses if s not in self.statuses]
        if unknown:
            raise ValueError(f"full status {unknown[0]!r} is not among statuses")
        return self


class KindTable:
    """The kinds of one structure (a pack plus the core kinds), with dense integer codes.

    Codes index per-kind arrays, so per-unit questions ("is this unit member-holding?") are one
    array lookup: ``kinds.is_branch[unit_kind_codes]``.
    """

    def __init__(self, pack: DomainPack) -> None:
        self.pack = pack
        self._kinds: tuple[UnitKind, ...] = CORE_KINDS + tuple(pack.kinds)
        self._code = {k.id: i for i, k in enumerate(self._kinds)}
        self.is_org = np.array([k.role == "org" for k in self._kinds], dtype=bool)
        self.is_branch = np.array([k.relation == "branch" for k in self._kinds], dtype=bool)
        self.is_group = np.array([k.relation == "group" for k in self._kinds], dtype=bool)
        for arr in (self.is_org, self.is_branch, self.is_group):
            arr.flags.writeable = False
        self.full_statuses = pack.full_statuses

    @property
    def name(self) -> str:
        """The pack's name."""
        return self.pack.name

    def __getitem__(self, kind: str | int) -> UnitKind:
        if isinstance(kind, (int, np.integer)):
            return self._kinds[int(kind)]
        try:
            return self._kinds[self._code[kind]]
        except KeyError:
            raise KeyError(f"unknown unit kind {kind!r} (domain pack {self.pack.name})") from None

    def __contains__(self, kind: object) -> bool:
        return kind in self._code

    def __iter__(self) -> Iterator[UnitKind]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def code(self, kind: str) -> int:
        """Dense integer code of a kind id; KeyError names the pack when unknown."""
        self[kind]
        return self._code[kind]

    def codes_where(self, **attrs: object) -> np.ndarray:
        """Codes of kinds whose attributes equal the given values, in declaration order."""
        return np.array(
            [i for i, k in enumerate(self._kinds) if all(getattr(k, a) == v for a, v in attrs.items())],
            dtype=np.int16,
        )

    def ids(self) -> list[str]:
        """All kind ids, core kinds first."""
        return [k.id for k in self._kinds]


def check_pack_name(pack: DomainPack, plugin: str) -> None:
    """Raise PluginError when a pack's kinds are not in its own namespace."""
    for kind in pack.kinds:
        if kind.id.split(".", 1)[0] != pack.name:
            raise PluginError(
                f"kind {kind.id} is outside the pack's namespace {pack.name!r}", plugin=plugin
            )
