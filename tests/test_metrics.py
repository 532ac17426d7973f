"""The core's built-in metrics on its neutral toy pack: they know no domain's limits.

The party pack's metrics, and the built-ins on party structures, are tested in the party plugin.
"""

from __future__ import annotations

from orgmodel.analysis.metrics import MeasureContext, measure
from orgmodel.builtin.metrics import BUILTIN_METRICS
from orgmodel.testing_data import tiny_structure


def vals() -> dict[str, float | None]:
    return {v.name: v.value for v in measure(MeasureContext(tiny_structure()), BUILTIN_METRICS)}


def test_branch_size_is_a_distribution_without_any_domain_limit() -> None:
    got = {k: v for k, v in vals().items() if k.startswith("branch_size.")}
    assert got == {"branch_size.count": 2.0, "branch_size.min": 3.0, "branch_size.median": 3.5,
                   "branch_size.p90": 3.9, "branch_size.max": 4.0}


def test_units_hierarchy_placement_and_hourglass_on_the_toy_pack() -> None:
    got = vals()
    assert got["units.toy.branch"] == 2.0 and got["units.toy.general_branch"] == 1.0 and got["units.toy.group"] == 1.0
    assert got["hierarchy.depth"] == 3.0 and got["hierarchy.span_max"] == 2.0
    assert got["placement.members"] == 7.0 and got["placement.unplaced"] == 0.0
    assert got["hourglass.path"] == 4.0  # general branch → branch → group → member
    assert "change.members_moved" not in got  # no baseline: no change cost


def test_no_builtin_metric_names_a_party_word() -> None:
    import inspect

    import orgmodel.builtin.metrics as module

    text = inspect.getsource(module)
    # "branch" (支部) is the core's own word for a unit that holds members' relations
    for word in ("party", "党", "over_50", "secretary", "50", "100"):
        assert word not in text, word
