"""The rosters every benchmark measures: the population generator calibrated like seed 004, scaled up.

``write_roster(folder, n)`` writes ``units.csv``, ``members.csv``, ``participation.csv``,
``roles.csv``, ``ties.csv`` and a ``scenario.yaml`` reading them (no column mapping). The large
community's shape (6,500 members in 39 residential areas, a quarter of the areas over 200 members,
teams of the four kinds with the seed's participation shares) is kept, and the number of areas
grows with the members so that areas stay the seed's size. ``firms=True`` also puts 5 % of the
members in enterprise and social-organisation branches of 10 to 80 members; ``courtyards=True``
groups the buildings of each area in courtyards (院落) of four.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

__all__ = ["write_roster", "all_text", "peak_rss_mb"]


def write_roster(folder: Path, n_members: int, seed: int = 7, *, firms: bool = False, courtyards: bool = False) -> Path:
    """Write a roster of ``n_members`` and its scenario into ``folder``; returns the scenario's path."""
    from orgmodel_party.population import Calibration, generate

    extra: dict[str, Any] = {}
    residential = n_members
    if firms:
        other = round(0.05 * n_members)
        extra = {"residential_share": 0.95, "other_branches": max(1, round(other / 45)), "other_size": (10, 80)}
        residential = n_members - other
    if courtyards:
        extra["buildings_per_courtyard"] = 4
    areas = max(6, round(residential * 39 / 6_500))
    cal = Calibration(members=n_members, areas=areas, largest=329, teams_per_area=185 / 39,
                      share_over_100=25 / 39, share_over_200=11 / 39, participation_share=1_100 / 6_500,
                      ties_per_member=2.0, **extra)
    generate(cal, seed=seed).write(folder)
    tables = {p.stem for p in folder.glob("*.csv")}
    lines = ["name: benchmark", "domain: party", "baseline:"]
    lines += [f"  {name}: {{file: {name}.csv}}" for name in ("units", "members", "participation", "roles", "ties")
              if name in tables]
    scenario = folder / "scenario.yaml"
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return scenario


def all_text(path: Path) -> dict[str, Any]:
    """Column types that read every column of a CSV as text (as orgmodel does)."""
    import pyarrow as pa

    header = path.open(encoding="utf-8").readline().strip().split(",")
    return {name: pa.string() for name in header}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
