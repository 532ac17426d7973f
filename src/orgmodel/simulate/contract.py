"""The contract kit for behaviour models: one call that checks any model, ours or a third party's.

:func:`check_behaviour_model` simulates the model on every contract baseline
(:func:`orgmodel.testing.contract_baselines`) and asserts that

- ``Params`` forbids unknown parameters, and an unknown parameter is refused with a message naming it;
- every parameter has a default and a description, and a value outside a declared bound (a
  negative rate, a probability over 1) is refused with a message naming the parameter;
- the model declares its metrics (unique names) and reports every one of them every period;
- no member is lost in any period (the engine's check after every step, see
  :mod:`orgmodel.simulate.replicate`), and the input structure is not changed;
- the same seed gives the same series, in this process and in fresh processes with different
  ``PYTHONHASHSEED`` values; different seeds give different series somewhere.

Example::

    from orgmodel.simulate.contract import check_behaviour_model

    def test_contract():
        check_behaviour_model(MyModel())
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from orgmodel.errors import OrgModelError, UserError
from orgmodel.simulate.behaviour import BehaviourModel
from orgmodel.simulate.replicate import VariantInput, run_replication
from orgmodel.simulate.rules import RuleTracker
from orgmodel.analysis.rulebook import RuleBook
from orgmodel.simulate.state import SimState

__all__ = ["check_behaviour_model", "BehaviourContractFailure", "CONTRACT_START"]

CONTRACT_START = dt.date(2024, 1, 1)


class BehaviourContractFailure(AssertionError):
    """A behaviour model broke its contract; the message lists every failure, one per line."""


def _series(model: BehaviourModel, structure: Any, params: Any, periods: int, seed: int) -> np.ndarray:
    state = SimState.from_structure(structure, start=CONTRACT_START, team_kinds=model.team_kinds)
    inp = VariantInput("contract", state, RuleTracker(structure, RuleBook()))
    return run_replication(inp, model, params, periods=periods, seed=seed)


def check_behaviour_model(model: BehaviourModel, params: Mapping[str, Any] | None = None, *,
                          domain: str = "party", only: tuple[str, ...] = (), periods: int = 12,
                          processes: bool = True) -> dict[str, np.ndarray]:
    """Run the contract battery; raise :class:`BehaviourContractFailure` listing every broken rule.

    Returns each baseline's series (seed 0). ``processes=False`` skips the cross-process check.
    """
    from orgmodel.testing import contract_baselines, snapshot

    name = getattr(model, "name", "") or type(model).__name__
    failures: list[str] = []
    _check_params(model, params, failures)
    try:
        parsed = model.parse_params(params)
    except UserError as exc:
        raise BehaviourContractFailure(f"behaviour model {name}: the given params are invalid: {exc}") from None
    metric_names = [m.name for m in getattr(model, "metrics", ())]
    if not metric_names:
        failures.append("[metrics] the model declares no metrics")
    if len(set(metric_names)) != len(metric_names):
        failures.append("[metrics] metric names are not unique")
    out: dict[str, np.ndarray] = {}
    for base_name, base in contract_baselines(domain, only=only).items():
        before = snapshot(base)
        try:
            first = _series(model, base, parsed, periods, 0)
            again = _series(model, base, parsed, periods, 0)
            other = _series(model, base, parsed, periods, 1)
        except OrgModelError as exc:
            failures.append(f"[{base_name}] {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - the kit reports every failure
            failures.append(f"[{base_name}] the simulation raised {type(exc).__name__}: {exc}")
            continue
        if snapshot(base) != before:
            failures.append(f"[{base_name}] the simulation changed the input structure")
        if not np.array_equal(first, again, equal_nan=True):
            failures.append(f"[{base_name}] the same seed gave two different series")
        if base.n_members >= 50 and np.array_equal(first, other, equal_nan=True):
            failures.append(f"[{base_name}] two different seeds gave the same series: the model ignores rng")
        out[base_name] = first
    if processes and out and _importable(model):
        base_name = next(iter(out))
        _check_processes(model, params, domain, base_name, periods, out[base_name], failures)
    if failures:
        raise BehaviourContractFailure(f"behaviour model {name} broke its contract:\n" + "\n".join(failures))
    return out


def _check_params(model: BehaviourModel, params: Mapping[str, Any] | None, failures: list[str]) -> None:
    fields = model.Params.model_fields
    if model.Params.model_config.get("extra") != "forbid":
        failures.append("[params] Params must set model_config = ConfigDict(extra='forbid')")
    bad = dict(params or {})
    bad["no_such_parameter"] = 1
    try:
        model.parse_params(bad)
        failures.append("[params] an unknown parameter 'no_such_parameter' was accepted")
    except UserError as exc:
        if "no_such_parameter" not in str(exc):
            failures.append(f"[params] the error for an unknown parameter does not name it: {exc}")
    for field_name, info in fields.items():
        if info.is_required():
            failures.append(f"[params] {field_name} has no default")
        if not info.description:
            failures.append(f"[params] {field_name} has no description")
        for value in _out_of_bounds(info):
            try:
                model.parse_params({**(params or {}), field_name: value})
                failures.append(f"[params] {field_name}={value!r} is outside its bounds but was accepted")
            except UserError as exc:
                if field_name not in str(exc):
                    failures.append(f"[params] the error for {field_name}={value!r} does not name it: {exc}")


def _out_of_bounds(info: Any) -> list[Any]:
    out = []
    for meta in info.metadata:
        for attr, delta in (("ge", -1), ("gt", 0), ("le", 1), ("lt", 0)):
            bound = getattr(meta, attr, None)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool):
                step = 1 if isinstance(bound, int) and info.annotation is int else 0.5
                out.append(bound + delta * step if delta else bound)
    return out


def _importable(model: BehaviourModel) -> bool:
    module = type(model).__module__
    return module not in ("__main__", "builtins") and not module.startswith("orgmodel_local.") \
        and "<" not in type(model).__qualname__


_CHILD = """
import json, sys
from importlib import import_module
import numpy as np
from orgmodel.testing import contract_baselines
from orgmodel.simulate.contract import _series
module, qualname, domain, base, params, periods = json.loads(sys.argv[1])
obj = import_module(module)
for part in qualname.split("."):
    obj = getattr(obj, part)
model = obj()
s = contract_baselines(domain, only=(base,))[base]
series = _series(model, s, model.parse_params(params), periods, 0)
print(json.dumps([[None if np.isnan(x) else float(x).hex() for x in row] for row in series.tolist()]))
"""


def _check_processes(model: BehaviourModel, params: Mapping[str, Any] | None, domain: str, base: str, periods: int,
                     expected: np.ndarray, failures: list[str]) -> None:
    want = json.dumps([[None if np.isnan(x) else float(x).hex() for x in row] for row in expected.tolist()])
    arg = json.dumps([type(model).__module__, type(model).__qualname__, domain, base, dict(params or {}), periods])
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", _CHILD, arg], capture_output=True, text=True, env=env,
                              timeout=300)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
            failures.append(f"[{base}] simulating in a fresh process failed: {tail[0]}")
            return
        if proc.stdout.strip() != want:
            failures.append(f"[{base}] the series differs in a process with PYTHONHASHSEED={hash_seed}")
            return
