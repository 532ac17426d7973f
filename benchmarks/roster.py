"""The rosters every benchmark measures: the population generator calibrated like seed 004, scaled up.

``write_roster(folder, n)`` writes ``units.csv``, ``members.csv``, ``participation.csv``,
``roles.csv``, ``ties.csv`` and a ``scenario.yaml`` reading them (no column mapping). The large
community's shape (6,500 members in 39 residential areas, a quarter of the areas over 200 members,
teams of the four kinds with the seed's participation shares) is kept, and the number of areas
grows with the members so that areas stay the seed's size. ``firms=True`` also puts 5 % of the
members in enterprise and social-organisation branches of 10 to 80 members; ``courtyards=True``
groups the buildings of each area in courtyards (院落) of four.

``towns=True`` writes the roster of the strategies that need more than a residential community
(:data:`TOWN_STRATEGIES`; seeds 001 and 003): 40 % of the members in village branches (8 to 120
members, 12 villages a township, a chain of neighbouring villages, the township's community next
to its first three), townships of about 530 village members with a committee, a community
service-centre branch of 8 and two industry associations (10 % of the village members take part);
5 % in small firms and social organisations with no branch of their own (1 to 6 members, 20 a
township, trades of the associations; their relations in the township's comprehensive branch,
unplaced or held by a talent-exchange centre); 10 % in one government agency (bureaus of 6
divisions of 5 to 40 members, present branches of about 50 cutting across bureaus); the rest in
residential areas as above (no courtyards, no firms). Its ``scenario.yaml`` has one variant per
strategy that needs parameters on it (:func:`strategy_params` reads them): community-joint names
the first township's community.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

__all__ = ["write_roster", "strategy_params", "all_text", "peak_rss_mb", "TOWN_STRATEGIES"]

#: The first-party strategies measured on the ``towns=True`` roster (the residential roster has
#: nothing for them: no agency, village, association or small firm).
TOWN_STRATEGIES = ("agency-alignment", "community-joint", "industry-branch", "two-new-coverage", "village-alliance")


def write_roster(folder: Path, n_members: int, seed: int = 7, *, firms: bool = False, courtyards: bool = False,
                 towns: bool = False) -> Path:
    """Write a roster of ``n_members`` and its scenario into ``folder``; returns the scenario's path."""
    from orgmodel_party.population import Calibration, generate

    if towns:
        return _write_towns(Path(folder), n_members, seed)
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


def _write_towns(folder: Path, n_members: int, seed: int) -> Path:
    from orgmodel_party.population import Calibration, generate

    village, firm, agency = round(0.4 * n_members), round(0.05 * n_members), round(0.1 * n_members)
    townships = max(1, round(village / 530))
    residential = n_members - village - firm - agency - 8 * townships
    cal = Calibration(members=n_members, residential_share=residential / n_members,
                      areas=max(6, round(residential * 39 / 6_500)), largest=329, teams_per_area=185 / 39,
                      share_over_100=25 / 39, share_over_200=11 / 39,
                      participation_share=residential / n_members * 1_100 / 6_500, ties_per_member=2.0,
                      townships=townships, villages_per_township=12, village_share=0.4, service_centre_members=8,
                      associations_per_township=2, association_share=0.1, firms_per_township=20, firm_share=0.05,
                      agencies=1, agency_share=0.1)
    tables = generate(cal, seed=seed)
    tables.write(folder)
    kind = tables.units["kind"].to_numpy(zero_copy_only=False)
    ids = tables.units["id"].to_numpy(zero_copy_only=False)
    community = next(str(u) for u in ids[kind == "party.community"] if str(u).startswith("tw"))
    names = [p.stem for p in sorted(folder.glob("*.csv"))]
    lines = ["name: benchmark (towns)", "domain: party", f"as_of: {cal.as_of.isoformat()}", "baseline:"]
    lines += [f"  {name}: {{file: {name}.csv}}" for name in ("units", "members", "participation", "roles", "ties",
                                                              "adjacency") if name in names]
    lines += ["variants:", "  - name: community-joint", "    steps:", "      - strategy: community-joint",
              f"        params: {{community: {community}}}"]
    scenario = folder / "scenario.yaml"
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return scenario


def strategy_params(scenario: Any) -> dict[str, dict[str, Any]]:
    """Strategy name -> the parameters of the first step of the scenario's variant of that name (if any)."""
    out: dict[str, dict[str, Any]] = {}
    for variant in scenario.spec.variants:
        for step in variant.steps[:1]:
            name = getattr(step, "strategy", None)
            if name is not None and name == variant.name:
                out[name] = dict(step.params or {})
    return out


def all_text(path: Path) -> dict[str, Any]:
    """Column types that read every column of a CSV as text (as orgmodel does)."""
    import pyarrow as pa

    header = path.open(encoding="utf-8").readline().strip().split(",")
    return {name: pa.string() for name in header}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
