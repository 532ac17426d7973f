"""Sweeps over strategy parameters: each variant's structure at every sweep point.

A sweep key ``<variant>.steps[<i>].<param>`` (see :mod:`orgmodel.simulate.spec`) changes what a
strategy proposes, so the variant is run again by the engine, from the same baseline and with the
same strategy seeds, with that step's parameter set to the point's value. Variants a point does
not touch keep the structure they were given; a variant run again with the parameters it already
had keeps it too. Every point is then simulated with the same replication seeds (common random
numbers), so a difference between points comes from the parameter, not from the draws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from orgmodel.errors import OrgModelError, UserError
from orgmodel.model.structure import Structure
from orgmodel.simulate.spec import SimulationSpec, strategy_overrides

__all__ = ["strategy_structures", "has_strategy_sweep"]


def has_strategy_sweep(spec: SimulationSpec) -> bool:
    """Whether the sweep names a strategy parameter."""
    return any(point for point in strategy_overrides(spec))


def strategy_structures(scenario: Any, spec: SimulationSpec, structures: Mapping[str, Structure], *,
                        plugins: Any = None, baseline: Structure | None = None,
                        check: Any = None, note: Any = None) -> list[dict[str, Structure]]:
    """Each sweep point's structures: variant name -> structure, for every variant in ``structures``.

    ``structures`` are the variants as the scenario runs them; ``baseline`` (default: built from
    the rosters) is what the variants run again start from. ``check()`` is called before each
    run of the engine (to cancel), ``note(message)`` says which run starts (for a progress bar).
    A strategy that fails at a point is an error naming the point.
    """
    from orgmodel.io.scenario import StrategyStep
    from orgmodel.run.engine import Engine

    engine = Engine(plugins)
    variants = {v.name: v for v in scenario.spec.variants}
    cache: dict[tuple[str, str], Structure] = {}
    out = []
    grid = strategy_overrides(spec)
    for p, overrides in enumerate(grid):
        point = dict(structures)
        for variant_name in sorted({v for v, _ in overrides}):
            if variant_name not in structures:
                continue  # not simulated in this run
            variant = variants[variant_name]
            steps = list(variant.steps)
            changed = False
            for (name, j), params in sorted(overrides.items()):
                if name != variant_name:
                    continue
                step = steps[j]
                assert isinstance(step, StrategyStep)
                merged = {**step.params, **params}
                if merged != step.params:
                    steps[j] = step.model_copy(update={"params": merged})
                    changed = True
            if not changed:
                continue
            key = (variant_name, repr([s.params if isinstance(s, StrategyStep) else None for s in steps]))
            if key not in cache:
                if check is not None:
                    check()
                if note is not None:
                    note(f"sweep point {p + 1}/{len(grid)}: {variant_name} run again")
                cache[key] = _run_variant(engine, scenario, variant, steps, baseline, overrides)
            point[variant_name] = cache[key]
        out.append(point)
    return out


def _run_variant(engine: Any, scenario: Any, variant: Any, steps: list[Any], baseline: Structure | None,
                 overrides: Mapping[tuple[str, int], Mapping[str, Any]]) -> Structure:
    changed = variant.model_copy(update={"steps": steps})
    spec = scenario.spec.model_copy(update={"variants": [changed if v.name == variant.name else v
                                                         for v in scenario.spec.variants]})
    swept = dataclasses.replace(scenario, spec=spec)
    try:
        run = engine.run(swept, baseline=baseline, variants=[variant.name])
    except OrgModelError as exc:
        at = ", ".join(f"{v}.steps[{j}].{k}={val!r}" for (v, j), ps in sorted(overrides.items())
                       if v == variant.name for k, val in sorted(ps.items()))
        raise UserError(f"sweep point {at}: {exc}") from None
    return run.variant(variant.name).structure
