"""The contract test kit: every strategy checked against a battery of baselines.

:func:`check_strategy` proposes on each baseline of :func:`contract_baselines` (and on the
strategy's own example structures, if it declares any) and asserts that

- the strategy returns a :class:`~orgmodel.model.plan.Plan` (or refuses with a clear ``UserError``),
  and acts on at least one baseline: a strategy that refuses every baseline fails;
- every operation has a reason whose code is set and renders in zh and en;
- applying the plan keeps every invariant: no member lost or duplicated, each active member in
  exactly one live branch (``apply`` enforces it; the kit checks it again independently);
- the input structure is not mutated (every array and the fingerprint are unchanged);
- the same seed gives the same plan, in this process and in fresh processes with different
  ``PYTHONHASHSEED`` values (byte for byte), and the plan survives a JSON round trip;
- parameters are validated: an unknown parameter is refused with a message naming it.

Nobody calls it by hand per strategy: :func:`parametrize_contract` parametrises one test over
every registered strategy (or those of one plugin) and each parameter set it declares::

    from orgmodel.testing import parametrize_contract

    @parametrize_contract(plugin="merge-small")   # the plugin's entry-point name; omit for all
    def test_contract(contract_case):
        contract_case.check()

A strategy declares what the kit checks it with, both optional:

- ``contract_params``: a sequence of parameter mappings (default ``({},)``: the defaults);
- ``contract_structures(kinds) -> Mapping[str, Structure]``: example structures, built on the
  given :class:`~orgmodel.model.kinds.KindTable`, on which the strategy acts when the battery has
  nothing for it (an agency, courtyards, firms).

The baselines need a domain pack; :data:`KIND_MAPS` says which kinds play which part for the
``party`` pack and the ``toy`` pack of the examples. A strategy class may set ``domain`` to
choose; a third-party pack passes its own map.

The contexts carry the rules a scenario of that domain has when it names none
(:func:`~orgmodel.analysis.rulebook.domain_rule_book`: the rule packs the plugins register for the
domain), so a strategy whose size limits default to a rule (``ctx.rules.limit(...)``) is checked
with its defaults, as the engine would run it. ``check_strategy(..., rules=book)`` checks it
under other rules (an empty :class:`~orgmodel.analysis.rulebook.RuleBook`: none at all).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from orgmodel.analysis.rulebook import RuleBook, domain_rule_book
from orgmodel.analysis.rules import RulePack
from orgmodel.model.apply import apply
from orgmodel.errors import UserError
from orgmodel.model.kinds import KindTable
from orgmodel.model.plan import Plan
from orgmodel.plugin.host import PluginHost
from orgmodel.plugin.strategy import Strategy
from orgmodel.model.structure import Structure

__all__ = [
    "KIND_MAPS",
    "KindMap",
    "ContractFailure",
    "ContractCase",
    "contract_baselines",
    "contract_cases",
    "contract_params",
    "parametrize_contract",
    "check_strategy",
    "snapshot",
]


@dataclass(frozen=True)
class KindMap:
    """Which kinds of a domain pack play each part in the contract baselines."""

    domain: str
    top: str  # a committee
    middle: str  # a general branch
    branch: str
    group: str
    area: str  # a residential area
    team: str
    village: str
    team_tags: tuple[str, ...] = ()


KIND_MAPS: dict[str, KindMap] = {
    "party": KindMap(
        domain="party", top="party.committee", middle="party.general_branch", branch="party.branch",
        group="party.group", area="party.residential_area", team="party.team", village="party.village",
        team_tags=("team:learning", "team:culture", "team:sports", "team:service"),
    ),
    "toy": KindMap(
        domain="toy", top="toy.committee", middle="toy.general_branch", branch="toy.branch",
        group="toy.group", area="toy.area", team="toy.team", village="toy.area",
    ),
}


class ContractFailure(AssertionError):
    """A strategy broke its contract; the message lists every failure, one per line."""


def _kinds(domain: str, plugins: PluginHost | None) -> KindTable:
    if domain == "toy":
        from orgmodel.testing_data import toy_kinds

        return toy_kinds()
    return KindTable((plugins or PluginHost()).domain_pack(domain))


def _population(
    km: KindMap,
    kinds: KindTable,
    *,
    seed: int,
    branches: list[int],
    n_teams: int = 4,
    in_team: float = 0.5,
    immobile: float = 0.05,
    villages: bool = False,
    general_every: int = 8,
) -> Structure:
    """A committee, general branches, branches of the given sizes, teams, members, roles."""
    rng = np.random.default_rng(seed)
    host_kind = km.village if villages else km.area
    n_b = len(branches)
    n_g = max(1, (n_b + general_every - 1) // general_every)
    units: dict[str, list[Any]] = {k: [] for k in ("id", "kind", "name", "parent", "built_on", "tags")}

    def unit(uid: str, kind: str, name: str, parent: str | None = None, built_on: str | None = None,
             tags: str | None = None) -> None:
        for key, value in zip(units, (uid, kind, name, parent, built_on, tags), strict=True):
            units[key].append(value)

    unit("top", km.top, "社区党委")
    for g in range(n_g):
        unit(f"h{g}", host_kind, f"{'村' if villages else '居民区'}{g + 1}")
        unit(f"gb{g}", km.middle, f"第{g + 1}党总支", "top", f"h{g}")
    for t in range(n_teams):
        tags = km.team_tags[t % len(km.team_tags)] if km.team_tags else None
        unit(f"t{t}", km.team, f"团队{t + 1}", f"h{t % n_g}" if not villages else None, None, tags)
    for b in range(n_b):
        unit(f"b{b}", km.branch, f"第{b + 1}支部", f"gb{b // general_every}", f"h{b // general_every}")
        unit(f"b{b}g", km.group, f"第{b + 1}支部一组", f"b{b}")
    sizes = np.asarray(branches, dtype=np.int64)
    n = int(sizes.sum())
    branch_of = np.repeat(np.arange(n_b), sizes)
    ids = np.array([f"m{i:06d}" for i in range(n)], dtype=object)
    members = {
        "id": ids,
        "branch": np.array([f"b{b}" for b in branch_of], dtype=object),
        "group": np.where(rng.random(n) < 0.5, np.array([f"b{b}g" for b in branch_of], dtype=object), None),
        "status": np.where(rng.random(n) < 0.93, "full", "probationary").astype(object),
        "retired": rng.random(n) < 0.6,
        "mobility_limited": rng.random(n) < immobile,
        "mobile": rng.random(n) < 0.03,
        "birth_date": (np.datetime64("1940-01-01") + rng.integers(0, 365 * 60, n)).astype("datetime64[D]"),
        "home_host": np.array([f"h{b // general_every}" for b in branch_of], dtype=object),
    }
    takers = np.flatnonzero(rng.random(n) < in_team) if n_teams else np.empty(0, dtype=np.int64)
    teams = rng.integers(0, max(n_teams, 1), len(takers))
    second = takers[rng.random(len(takers)) < 0.1]
    part_m = np.concatenate([takers, second]).astype(np.int64)
    part_t = np.concatenate([teams, rng.integers(0, max(n_teams, 1), len(second))])
    roles = [{"unit": f"b{b}", "role": "secretary", "person": str(ids[int(np.flatnonzero(branch_of == b)[0])])}
             for b in range(n_b) if sizes[b] > 0]
    return Structure.from_columns(
        kinds,
        units=units,
        members=members,
        participation=(ids[part_m].tolist(), [f"t{t}" for t in part_t.tolist()]),
        roles=roles,
    )


BASELINES: dict[str, Callable[[KindMap, KindTable], Structure]] = {
    "tiny": lambda km, k: _population(km, k, seed=1, branches=[7, 5], n_teams=2),
    "empty-branch": lambda km, k: _population(km, k, seed=2, branches=[12, 0, 9]),
    "one-member": lambda km, k: _population(km, k, seed=3, branches=[1], n_teams=1),
    "all-immobile": lambda km, k: _population(km, k, seed=4, branches=[20, 15], immobile=1.0, in_team=0.0),
    "no-teams": lambda km, k: _population(km, k, seed=5, branches=[30, 25], n_teams=0),
    "branch-of-329": lambda km, k: _population(km, k, seed=6, branches=[329, 40], n_teams=6),
    "village-of-2": lambda km, k: _population(km, k, seed=7, branches=[2, 14, 1], villages=True, general_every=1),
    "generated-10000": lambda km, k: _population(
        km, k, seed=8, branches=_sizes_summing_to(10_000, 300, seed=9), n_teams=60
    ),
}


def _sizes_summing_to(total: int, parts: int, *, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    weights = rng.gamma(2.0, 1.0, parts)
    sizes = np.floor(weights / weights.sum() * total).astype(int)
    sizes[: total - int(sizes.sum())] += 1
    return sizes.tolist()


def contract_baselines(domain: str = "party", *, kind_map: KindMap | None = None,
                       plugins: PluginHost | None = None, only: tuple[str, ...] = ()) -> dict[str, Structure]:
    """The contract battery for a domain: name -> Structure.

    >>> bases = contract_baselines("toy", only=("tiny", "one-member"))
    >>> {name: s.n_members for name, s in bases.items()}
    {'tiny': 12, 'one-member': 1}
    """
    km = kind_map or KIND_MAPS[domain]
    kinds = _kinds(km.domain, plugins)
    return {name: make(km, kinds) for name, make in BASELINES.items() if not only or name in only}


def snapshot(s: Structure) -> str:
    """A hash of every array and table of a structure, to prove it was not mutated."""
    h = hashlib.sha256()
    for arr in (s.units.ids, s.units.kind, s.units.parent, s.units.name, s.units.dissolved, s.units.tags):
        h.update(repr(arr.tolist()).encode() if arr.dtype == object else arr.tobytes())
    h.update(repr([sorted(a.items()) for a in s.units.attrs.tolist()]).encode())
    h.update(repr(s.members.ids.tolist()).encode())
    for name in sorted(s.members.columns):
        col = s.members.columns[name]
        h.update(name.encode())
        h.update(repr(col.tolist()).encode() if col.dtype == object else np.ascontiguousarray(col).tobytes())
    for e in (s.built_on_edges, s.alliance_edges, s.adjacency_edges, s.participation):
        h.update(e.src.tobytes())
        h.update(e.dst.tobytes())
    h.update(repr(s.roles).encode())
    ties = getattr(s, "ties", None)
    if ties is not None:
        for arr in (ties.a, ties.b, ties.weight):
            h.update(np.ascontiguousarray(arr).tobytes())
    for name in sorted(s.personal):  # a plain dict: the easiest thing for a strategy to mutate
        h.update(name.encode())
        h.update(repr(np.asarray(s.personal[name]).tolist()).encode())
    return h.hexdigest()


@dataclass
class _Report:
    strategy: str
    failures: list[str] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)

    def fail(self, baseline: str, message: str) -> None:
        self.failures.append(f"[{baseline}] {message}")


def check_strategy(
    strategy: Strategy,
    params: Mapping[str, Any] | None = None,
    *,
    domain: str | None = None,
    kind_map: KindMap | None = None,
    plugins: PluginHost | None = None,
    only: tuple[str, ...] = (),
    processes: bool = True,
    rules: RuleBook | None = None,
) -> dict[str, Plan]:
    """Run the contract battery; raise :class:`ContractFailure` listing every broken rule.

    Returns the plan proposed on each baseline (baselines the strategy refused with a
    ``UserError`` are left out; refusing all of them is a failure). ``processes=False`` skips the
    cross-process determinism check. ``only`` restricts the battery to the baselines named.
    ``rules`` are the rules in force in every context (default: the domain's, as a scenario of
    the domain that names no rule packs has them).
    """
    name = getattr(strategy, "name", "") or type(strategy).__name__
    report = _Report(name)
    domain = domain or getattr(strategy, "domain", None) or (kind_map.domain if kind_map else "party")
    _check_params(strategy, params, report)
    try:
        parsed = strategy.parse_params(params)
    except UserError as exc:
        raise ContractFailure(f"strategy {name}: the given params are invalid: {exc}") from None
    if rules is None:
        rules = domain_rule_book((kind_map.domain if kind_map else domain), plugins)
    battery = _battery(strategy, domain, kind_map=kind_map, plugins=plugins, only=only, report=report)
    for base_name, base in battery.items():
        _check_one(strategy, parsed, params, base_name, base, rules, report)
    if battery and not report.plans and not report.failures:
        first, why = next(iter(report.refusals.items()))
        report.fail("all", f"refused every baseline ({len(battery)}), e.g. [{first}] {why}; declare"
                           " contract_params or contract_structures() on which it acts")
    if processes and report.plans and _importable(strategy):
        first = next(iter(report.plans))
        _check_processes(strategy, params, domain, first, rules, report)
    if report.failures:
        raise ContractFailure(f"strategy {name} broke its contract:\n" + "\n".join(report.failures))
    return report.plans


def _battery(strategy: Strategy, domain: str, *, kind_map: KindMap | None = None,
             plugins: PluginHost | None = None, only: tuple[str, ...] = (),
             report: _Report | None = None) -> dict[str, Structure]:
    """The contract baselines of ``domain`` followed by the strategy's own example structures."""
    battery = contract_baselines(domain, kind_map=kind_map, plugins=plugins, only=only)
    make = getattr(strategy, "contract_structures", None)
    if make is None:
        return battery
    km = kind_map or KIND_MAPS[domain]
    for base_name, structure in dict(make(_kinds(km.domain, plugins))).items():
        if base_name in BASELINES:
            if report is not None:
                report.fail(base_name, "contract_structures() reuses the name of a contract baseline")
            continue
        if not only or base_name in only:
            battery[base_name] = structure
    return battery


def contract_params(strategy: Strategy) -> list[dict[str, Any]]:
    """The parameter sets the kit checks ``strategy`` with: its ``contract_params``, else the defaults.

    >>> from orgmodel.plugin.strategy import Strategy
    >>> class Quiet(Strategy):
    ...     name = "quiet"
    ...     contract_params = ({}, {"verbose": False})
    ...     def propose(self, ctx, params):
    ...         return ctx.plan().build()
    >>> contract_params(Quiet())
    [{}, {'verbose': False}]
    """
    declared = getattr(strategy, "contract_params", None)
    if declared is None:
        return [{}]
    if isinstance(declared, Mapping) or not all(isinstance(p, Mapping) for p in declared) or not declared:
        raise ContractFailure(f"strategy {strategy.name}: contract_params must be a non-empty sequence of mappings")
    return [dict(p) for p in declared]


@dataclass(frozen=True)
class ContractCase:
    """One registered strategy with one of its parameter sets: one test of the parametrised suite."""

    strategy: Strategy
    params: dict[str, Any]
    plugin: str | None
    index: int = 0
    plugins: PluginHost | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The test id: the strategy's name, with the parameter set's index after the first."""
        return self.strategy.name if self.index == 0 else f"{self.strategy.name}-{self.index}"

    def check(self, **kwargs: Any) -> dict[str, Plan]:
        """:func:`check_strategy` on this case (keyword arguments as there)."""
        kwargs.setdefault("plugins", self.plugins)
        return check_strategy(self.strategy, self.params, **kwargs)


def contract_cases(plugins: PluginHost | None = None, *, plugin: str | ModuleType | None = None) -> list[ContractCase]:
    """A case per registered strategy and parameter set, sorted by strategy name.

    ``plugins`` is the host to ask (by default one that loads every installed plugin). ``plugin``
    keeps the strategies of one plugin: its name (the entry-point name, or ``local:STEM`` for a
    file of a plugin folder), or its plugin module itself, which is then registered whether or not
    the package is installed (an installed entry point for the same module is skipped). A plugin
    that registers no strategy is an error, so that a misspelt name cannot pass by checking nothing.

    >>> from orgmodel import PluginHost
    >>> contract_cases(PluginHost(autoload=False))
    []
    """
    if isinstance(plugin, ModuleType):
        if plugins is not None:
            raise ContractFailure("give either a plugin module or a plugin host, not both")
        plugins = PluginHost({plugin.__name__: plugin}, blocked=_entry_points_of(plugin.__name__))
        plugin = plugin.__name__
    host = plugins if plugins is not None else PluginHost()
    registry = host.strategies()
    cases = [
        ContractCase(strategy, params, registry.owner(strategy.name), index, host)
        for strategy in registry
        if plugin is None or registry.owner(strategy.name) == plugin
        for index, params in enumerate(contract_params(strategy))
    ]
    if plugin is not None and not cases:
        owners = sorted({registry.owner(n) or "" for n in registry.names()})
        raise ContractFailure(f"plugin {plugin!r} registers no strategy (plugins with strategies: {', '.join(owners) or 'none'})")
    return cases


def _entry_points_of(module: str) -> tuple[str, ...]:
    """Names of the installed ``orgmodel`` entry points that load ``module``."""
    from importlib.metadata import entry_points

    from orgmodel.plugin.host import ENTRY_POINT_GROUP

    return tuple(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.module == module))


def parametrize_contract(*, plugin: str | ModuleType | None = None, plugins: PluginHost | None = None) -> Any:
    """A pytest mark parametrising a test's ``contract_case`` argument over :func:`contract_cases`.

    In a plugin's tests (the plugin module given, so it runs before and after ``pip install``)::

        from orgmodel.testing import parametrize_contract
        from merge_small import plugin

        @parametrize_contract(plugin=plugin)
        def test_contract(contract_case):
            contract_case.check()
    """
    import pytest

    cases = contract_cases(plugins, plugin=plugin)
    return pytest.mark.parametrize("contract_case", cases, ids=[case.id for case in cases])


def _check_params(strategy: Strategy, params: Mapping[str, Any] | None, report: _Report) -> None:
    config = getattr(strategy.Params, "model_config", {})
    if config.get("extra") != "forbid":
        report.fail("params", "Params must set model_config = ConfigDict(extra='forbid')")
    bad = dict(params or {})
    bad["no_such_parameter"] = 1
    try:
        strategy.parse_params(bad)
    except UserError as exc:
        if "no_such_parameter" not in str(exc):
            report.fail("params", f"the error for an unknown parameter does not name it: {exc}")
    else:
        report.fail("params", "an unknown parameter 'no_such_parameter' was accepted")


def _check_one(strategy: Strategy, parsed: Any, params: Mapping[str, Any] | None, base_name: str,
               base: Structure, rules: RuleBook, report: _Report) -> None:
    before = snapshot(base)
    fingerprint = base.fingerprint
    plans = []
    for _ in range(2):
        ctx = strategy.context(base, seed=0, variant="contract", step=0, raw_params=params, rules=rules)
        try:
            plan = strategy.propose(ctx, parsed)
        except UserError as exc:
            report.refusals[base_name] = str(exc)
            return
        except Exception as exc:  # noqa: BLE001 - the kit reports every failure
            report.fail(base_name, f"propose raised {type(exc).__name__}: {exc}")
            return
        if not isinstance(plan, Plan):
            report.fail(base_name, f"propose returned {type(plan).__name__}, not a Plan")
            return
        plans.append(plan)
    if plans[0].to_json() != plans[1].to_json():
        report.fail(base_name, "the same seed gave two different plans")
    plan = plans[0]
    try:
        round_trip = Plan.from_json(plan.to_json())
    except UserError as exc:
        round_trip = None
        report.fail(base_name, f"the plan's JSON cannot be read back: {exc}")
    if round_trip is not None and (round_trip != plan or round_trip.to_json() != plan.to_json()):
        report.fail(base_name, "the plan does not survive a JSON round trip")
    if snapshot(base) != before or base.fingerprint != fingerprint:
        report.fail(base_name, "propose mutated the input structure")
    for index, op in enumerate([*plan.operations, *plan.move_batches()]):
        try:
            zh, en = op.reason.render("zh", plan.templates), op.reason.render("en", plan.templates)
        except Exception as exc:  # noqa: BLE001
            report.fail(base_name, f"operation {index}: reason does not render: {exc}")
            continue
        if not op.reason.code or not zh or not en:
            report.fail(base_name, f"operation {index} ({op.op}) has no reason")
    try:
        after = apply(base, plan, variant="contract", step=0)
    except UserError as exc:
        report.fail(base_name, f"the plan cannot be applied: {exc}")
        return
    if snapshot(base) != before:
        report.fail(base_name, "applying the plan mutated the input structure")
    _check_members_kept(base, after, base_name, report)
    report.plans[base_name] = plan


def _check_members_kept(base: Structure, after: Structure, base_name: str, report: _Report) -> None:
    if after.members.ids.tolist() != base.members.ids.tolist():
        report.fail(base_name, "member rows changed: a member was lost or added")
        return
    active = after.members["active"]
    branch = after.members["branch"]
    ok = (branch >= 0) & (branch < after.n_units)
    holds = after.kinds.is_branch[after.units.kind[np.where(ok, branch, 0)]] & ~after.units.dissolved[np.where(ok, branch, 0)]
    lost = active & ~(ok & holds)
    if lost.any():
        report.fail(base_name, f"{int(lost.sum())} member(s) without a live branch, e.g. {after.members.ids[np.flatnonzero(lost)[0]]}")
    live_branch = after.kinds.is_branch[after.units.kind] & ~after.units.dissolved
    if int(after.sizes()[live_branch].sum()) != int(active.sum()):
        report.fail(base_name, "branch sizes do not add up to the number of active members")


def _importable(strategy: Strategy) -> bool:
    module = type(strategy).__module__
    return module not in ("__main__", "builtins") and not module.startswith("orgmodel_local.") and "<" not in type(strategy).__qualname__


_CHILD = """
import json, sys
from importlib import import_module
from orgmodel.testing import _battery, _rule_book_from_json
module, qualname, domain, base, params, rules = json.loads(sys.stdin.read())
obj = import_module(module)
for part in qualname.split("."):
    obj = getattr(obj, part)
strategy = obj()
structure = _battery(strategy, domain, only=(base,))[base]
ctx = strategy.context(structure, seed=0, variant="contract", step=0, raw_params=params,
                       rules=_rule_book_from_json(rules))
print(strategy.propose(ctx, strategy.parse_params(params)).to_json())
"""


def _rule_book_to_json(rules: RuleBook) -> dict[str, Any]:
    """The rule book as JSON data, so that a fresh process proposes under the same rules."""
    return {"packs": [p.model_dump(mode="json") for p in rules.packs], "enable": list(rules.enable),
            "disable": list(rules.disable)}


def _rule_book_from_json(data: Mapping[str, Any]) -> RuleBook:
    return RuleBook([RulePack.model_validate(p) for p in data["packs"]], enable=data["enable"], disable=data["disable"])


def _check_processes(strategy: Strategy, params: Mapping[str, Any] | None, domain: str, base: str,
                     rules: RuleBook, report: _Report) -> None:
    expected = report.plans[base].to_json()
    arg = json.dumps([type(strategy).__module__, type(strategy).__qualname__, domain, base, dict(params or {}),
                      _rule_book_to_json(rules)])
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=arg, capture_output=True, text=True, env=env,
                              timeout=300)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
            report.fail(base, f"proposing in a fresh process failed: {tail[0]}")
            return
        if proc.stdout.strip() != expected.strip():
            report.fail(base, f"the plan differs in a process with PYTHONHASHSEED={hash_seed}")
            return
