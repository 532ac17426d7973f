"""The party-organisation domain pack (党组织): unit kinds, labels, colours and member statuses.

:data:`PARTY_PACK` is what the ``party`` plugin registers. It declares

* **organisation kinds** (role ``org``, they form the ``belongs_to`` hierarchy):
  ``party.working_committee`` (党工委, e.g. a street working committee; top level),
  ``party.committee`` (基层党委; under a working committee or a higher committee),
  ``party.general_branch`` (党总支), ``party.branch`` (党支部, holds members' one relation),
  ``party.group`` (党小组, the optional ``group`` of a member, a child of a branch) and
  ``party.functional_group`` (功能党小组, organised around a task across branches; it holds no
  relation and is sized from ``participates_in``);
* **host kinds** (role ``host``, what organisations are ``built_on``; their ``allowed_parents``
  follow ``part_of``): street, township, community, residential area, courtyard, building, grid,
  village, enterprise, agency, bureau, division, interest team, industry association, chamber of
  commerce, social organisation, service centre;
* **statuses** ``full`` (正式党员) and ``probationary`` (预备党员); only ``full`` counts as full.

Kinds are kept few on purpose (DESIGN decision 8): the special forms of the field are **not
kinds** but derived flags or unit tags.

* *joint* (联合党支部, 团队联合党支部) is derived: a unit ``built_on`` more than one host. It is
  never stored, so a joint branch is a ``party.branch`` on several hosts.
* *alliances* (村村联建, 区域性联建, the seed-003 joint general branch 联合党总支, a community joint
  organisation 社区联合党组织) are a ``party.general_branch`` (or ``party.committee``) tagged
  ``alliance``, linked to its members by ``allied_with``; the member organisations keep their
  subordination, and its size comes from its allies and participation (DESIGN decision 1).

Tag vocabulary that strategies put on units (mostly branches), see :data:`TAGS`:

=====================  ===============================================================
tag                    meaning
=====================  ===============================================================
``team``               team branch 团队党支部, built on interest team(s)
``comprehensive``      comprehensive branch 综合党支部, for members who fit no team
``industry``           industry branch 产业党支部 on an association; holds no relation
                       (members keep their village relation; dual participation)
``category:retired``   category branch for retired members 离退休党员党支部
``category:young``     category branch for young members 青年党员党支部
``category:mobile``    category branch for mobile (migrant) members 流动党员党支部
``courtyard``          courtyard branch 院落党支部 (and building groups 楼栋党小组 under it)
``agency``             agency branch 机关党支部, aligned with bureaus/divisions
``alliance``           coordinating unit of an alliance / joint general branch
=====================  ===============================================================

The four kinds of interest team are not separate kinds either: a ``party.team`` host carries one
of the tags ``team:learning`` (学习教育型), ``team:culture`` (文化艺术型), ``team:sports``
(体育保健型) or ``team:service`` (公益服务型), see :data:`TEAM_TAGS`.

Name templates use ``{host}`` (the name of the host the unit is built on), e.g. a branch on the
residential area 鹤北一 is named ``鹤北一党支部``.

>>> from orgmodel import KindTable
>>> kinds = KindTable(PARTY_PACK)
>>> kinds["party.branch"].label_zh, kinds["party.group"].allowed_parents
('党支部', ('party.branch',))
>>> [kinds[c].id for c in kinds.codes_where(relation="branch", role="org")]
['core.unplaced', 'core.external', 'party.branch']
>>> kinds["party.branch"].name_template.format(host="鹤北一")
'鹤北一党支部'
"""

from __future__ import annotations

from orgmodel import DomainPack, UnitKind

from .words import PARTY_WORDS

__all__ = ["PARTY_PACK", "TAGS", "TEAM_TAGS", "ORG_KINDS", "HOST_KINDS"]

#: Tags strategies put on organisation units (see the module docstring); ``joint`` is derived.
TAGS: tuple[str, ...] = (
    "team",
    "comprehensive",
    "industry",
    "category:retired",
    "category:young",
    "category:mobile",
    "courtyard",
    "agency",
    "alliance",
)

#: The four kinds of interest team, as tags on a ``party.team`` host unit.
TEAM_TAGS: tuple[str, ...] = ("team:learning", "team:culture", "team:sports", "team:service")

# Areas a unit can be part of (used in several host lists below).
_AREAS = (
    "party.street",
    "party.township",
    "party.community",
    "party.residential_area",
    "party.village",
    "party.grid",
)

ORG_KINDS: tuple[UnitKind, ...] = (
    UnitKind(
        id="party.working_committee",
        role="org",
        allowed_parents=(),
        label_zh="党工委",
        label_en="working committee",
        name_template="{host}党工委",
        colour="#f4a6a0",
        min_level=0,
    ),
    UnitKind(
        id="party.committee",
        role="org",
        allowed_parents=("party.working_committee", "party.committee"),
        label_zh="基层党委",
        label_en="base committee",
        name_template="{host}党委",
        colour="#fdb462",
        min_level=1,
    ),
    UnitKind(
        id="party.general_branch",
        role="org",
        allowed_parents=("party.committee", "party.working_committee"),
        label_zh="党总支",
        label_en="general branch",
        name_template="{host}党总支",
        colour="#ffed6f",
        min_level=2,
    ),
    UnitKind(
        id="party.branch",
        role="org",
        relation="branch",
        allowed_parents=("party.committee", "party.general_branch", "party.working_committee"),
        label_zh="党支部",
        label_en="branch",
        name_template="{host}党支部",
        colour="#b3de69",
        min_level=3,
    ),
    UnitKind(
        id="party.group",
        role="org",
        relation="group",
        allowed_parents=("party.branch",),
        label_zh="党小组",
        label_en="party group",
        name_template="{host}党小组",
        colour="#8dd3c7",
        min_level=4,
    ),
    UnitKind(
        id="party.functional_group",
        role="org",
        allowed_parents=("party.general_branch", "party.committee", "party.branch", "party.working_committee"),
        label_zh="功能党小组",
        label_en="functional group",
        name_template="{host}功能党小组",
        colour="#bebada",
        min_level=4,
    ),
    UnitKind(
        id="party.industry_branch",
        role="org",
        allowed_parents=("party.committee", "party.working_committee", "party.general_branch"),
        label_zh="产业党支部",
        label_en="industry branch",
        name_template="{host}产业党支部",
        colour="#e6c79c",
        min_level=3,
    ),
)

HOST_KINDS: tuple[UnitKind, ...] = (
    # --- territory: street ⊃ community ⊃ residential area ⊃ courtyard ⊃ building; grids
    UnitKind(
        id="party.street",
        role="host",
        allowed_parents=(),
        label_zh="街道",
        label_en="street",
        colour="#c6d4ea",
        min_level=0,
    ),
    UnitKind(
        id="party.community",
        role="host",
        allowed_parents=("party.street", "party.township"),
        label_zh="社区",
        label_en="community",
        colour="#b3cde3",
        min_level=1,
    ),
    UnitKind(
        id="party.residential_area",
        role="host",
        allowed_parents=("party.community", "party.street"),
        label_zh="居民区",
        label_en="residential area",
        colour="#d6e6f5",
        min_level=2,
    ),
    UnitKind(
        id="party.grid",
        role="host",
        allowed_parents=("party.residential_area", "party.community", "party.village"),
        label_zh="网格",
        label_en="grid",
        colour="#eef0d9",
        min_level=3,
    ),
    UnitKind(
        id="party.courtyard",
        role="host",
        allowed_parents=("party.residential_area", "party.community", "party.village", "party.grid"),
        label_zh="院落",
        label_en="courtyard",
        colour="#cfe8e3",
        min_level=3,
    ),
    UnitKind(
        id="party.building",
        role="host",
        allowed_parents=("party.courtyard", "party.residential_area", "party.grid"),
        label_zh="楼栋",
        label_en="building",
        colour="#e6f2ee",
        min_level=4,
    ),
    # --- rural: township ⊃ village
    UnitKind(
        id="party.township",
        role="host",
        allowed_parents=(),
        label_zh="乡镇",
        label_en="township",
        colour="#e5d8bd",
        min_level=0,
    ),
    UnitKind(
        id="party.village",
        role="host",
        allowed_parents=("party.township",),
        label_zh="村",
        label_en="village",
        colour="#ccebc5",
        min_level=1,
    ),
    # --- government: agency ⊃ bureau ⊃ division
    UnitKind(
        id="party.agency",
        role="host",
        allowed_parents=(),
        label_zh="机关",
        label_en="agency",
        colour="#decbe4",
        min_level=0,
    ),
    UnitKind(
        id="party.bureau",
        role="host",
        allowed_parents=("party.agency",),
        label_zh="局",
        label_en="bureau",
        colour="#e8dcf0",
        min_level=1,
    ),
    UnitKind(
        id="party.division",
        role="host",
        allowed_parents=("party.bureau", "party.agency"),
        label_zh="处室",
        label_en="division",
        colour="#f3ecf8",
        min_level=2,
    ),
    # --- residents' interest teams (tagged team:learning|culture|sports|service)
    UnitKind(
        id="party.team",
        role="host",
        allowed_parents=("party.residential_area", "party.community", "party.village"),
        label_zh="团队",
        label_en="interest team",
        colour="#fddaec",
        min_level=3,
    ),
    # --- economy and society (两新组织)
    UnitKind(
        id="party.enterprise",
        role="host",
        allowed_parents=_AREAS,
        label_zh="企业",
        label_en="enterprise",
        colour="#fed9a6",
        min_level=2,
    ),
    UnitKind(
        id="party.association",
        role="host",
        allowed_parents=("party.township", "party.street"),
        label_zh="协会",
        label_en="industry association",
        colour="#fff2ae",
        min_level=1,
    ),
    UnitKind(
        id="party.chamber",
        role="host",
        allowed_parents=("party.street", "party.township"),
        label_zh="商会",
        label_en="chamber of commerce",
        colour="#f1e2cc",
        min_level=1,
    ),
    UnitKind(
        id="party.social_org",
        role="host",
        allowed_parents=("party.street", "party.township", "party.community", "party.residential_area"),
        label_zh="社会组织",
        label_en="social organisation",
        colour="#f8c8c0",
        min_level=2,
    ),
    UnitKind(
        id="party.service_centre",
        role="host",
        allowed_parents=("party.community", "party.street", "party.township", "party.village"),
        label_zh="服务中心",
        label_en="service centre",
        colour="#e6f5c9",
        min_level=2,
    ),
)

PARTY_PACK = DomainPack(
    name="party",
    label_zh="党组织",
    label_en="party organisation",
    statuses=("full", "probationary"),
    full_statuses=("full",),
    kinds=ORG_KINDS + HOST_KINDS,
    words=PARTY_WORDS,
)
