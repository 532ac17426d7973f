"""orgmodel: model organisation structures and compare reorganisation scenarios.

This module is the public API for plugin authors: a plugin imports from ``orgmodel`` only the
names listed in ``__all__`` (and the contract kit from ``orgmodel.testing``); everything else is
internal and may change. Running scenarios, reading results and writing reports go through
``orgmodel.api``.
"""

__version__ = "0.1.0"

from orgmodel.analysis.metrics import MeasureContext, Metric, Value, measure  # noqa: E402
from orgmodel.analysis.rulebook import RuleBook, domain_rule_book  # noqa: E402
from orgmodel.analysis.rules import (  # noqa: E402
    Approval,
    Finding,
    Rule,
    RulePack,
    Subject,
    check_rules,
    load_rule_pack,
)
from orgmodel.errors import (  # noqa: E402
    InvariantError,
    OrgModelError,
    PlanError,
    PluginError,
    SpecError,
    UserError,
)
from orgmodel.io.loader import build_baseline, load_scenario  # noqa: E402
from orgmodel.model.apply import apply  # noqa: E402
from orgmodel.model.kinds import (  # noqa: E402
    CORE_KINDS,
    EXTERNAL,
    UNPLACED,
    DomainPack,
    KindTable,
    UnitKind,
    check_pack_name,
)
from orgmodel.model.naming import zh_numeral  # noqa: E402
from orgmodel.model.plan import Plan, PlanBuilder, Reason  # noqa: E402
from orgmodel.model.queries import (  # noqa: E402
    allowed_parent_mask,
    allows_parent,
    ancestor_codes,
    ancestor_of_kind,
    ancestor_where,
    ancestors,
    common_ancestor,
    first_allowed_ancestor,
    role_holder_mask,
    role_member_codes,
    roles_by_unit,
    scope_mask,
    units_under_host,
    within,
)
from orgmodel.model.scope import Locks, Scope, subtree_mask  # noqa: E402
from orgmodel.model.structure import NO_UNIT, MemberTable, Role, Structure, Unit  # noqa: E402
from orgmodel.plugin.hookspecs import hookimpl  # noqa: E402
from orgmodel.plugin.host import AUTOLOAD_ENV, PluginHost  # noqa: E402
from orgmodel.plugin.strategy import Context, NoParams, Strategy, rng_for, seed_for  # noqa: E402
from orgmodel.simulate import (  # noqa: E402
    LEFT_DIED,
    LEFT_MOVED,
    LEFT_TRANSFERRED,
    BehaviourModel,
    ModelContext,
    SeriesMetric,
    SimState,
    SimulationSpec,
)

import orgmodel.render.notebook  # noqa: E402,F401  (attaches Structure's notebook display)

__all__ = [
    "__version__",
    # the model
    "Structure", "Unit", "Role", "MemberTable", "NO_UNIT",
    "UnitKind", "DomainPack", "KindTable", "CORE_KINDS", "UNPLACED", "EXTERNAL", "check_pack_name",
    "Plan", "PlanBuilder", "Reason", "apply",
    "Scope", "Locks", "subtree_mask",
    # queries for strategy authors (orgmodel.model.queries)
    "ancestors", "ancestor_codes", "ancestor_where", "ancestor_of_kind", "within", "scope_mask", "allowed_parent_mask", "allows_parent",
    "first_allowed_ancestor", "common_ancestor", "units_under_host", "role_member_codes", "roles_by_unit",
    "role_holder_mask",
    "zh_numeral",
    # plugins
    "hookimpl", "PluginHost", "AUTOLOAD_ENV",
    "Strategy", "Context", "NoParams", "rng_for", "seed_for",
    "Metric", "Value", "MeasureContext", "measure",
    "Rule", "RulePack", "Subject", "Finding", "Approval", "check_rules", "load_rule_pack", "RuleBook",
    "domain_rule_book",
    # simulation
    "BehaviourModel", "ModelContext", "SeriesMetric", "SimState", "SimulationSpec",
    "LEFT_DIED", "LEFT_MOVED", "LEFT_TRANSFERRED",
    # scenarios
    "load_scenario", "build_baseline",
    # errors
    "OrgModelError", "UserError", "SpecError", "PlanError", "InvariantError", "PluginError",
]
