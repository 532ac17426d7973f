"""Generate the 瑞丽 residential-area scenario (seed 004): only the patrol team is concentrated.

One residential area of the large community (scenarios/large-community) on its own: a branch of 136
members whose party members are concentrated in one team, the patrol team (巡逻队), while the
culture and sports teams are small and scattered. Built with the party pack's population generator
(one area, every team given by hand). Running this twice writes identical files.

    .venv/bin/python scenarios/ruili/generate.py [--out DIR]     # default: this folder
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from string import Template

from orgmodel_party.population import AgeBand, Calibration, PinnedTeam, generate

SEED = 4  # seed text 004
AS_OF = dt.date(2024, 6, 30)
AREA_ZH, AREA_ID, MEMBERS = "瑞丽", "ruili", 136
T = PinnedTeam
TEAMS = [  # party members taking part in each team (assumed; the seed gives the pattern only)
    T(name="巡逻队", kind="service", party_members=26),
    T(name="舞蹈队", kind="culture", party_members=3), T(name="合唱团", kind="culture", party_members=2),
    T(name="腰鼓队", kind="culture", party_members=1), T(name="沪剧队", kind="culture", party_members=2),
    T(name="太极拳队", kind="sports", party_members=2), T(name="健身操队", kind="sports", party_members=1),
    T(name="乒乓球队", kind="sports", party_members=0), T(name="门球队", kind="sports", party_members=1),
    T(name="读书会", kind="learning", party_members=2),
]
PARTICIPANTS = 37  # 40 places: 3 members take part in two teams
AGES = (AgeBand(lo=22, hi=34, share=0.07), AgeBand(lo=35, hi=49, share=0.12), AgeBand(lo=50, hi=59, share=0.16),
        AgeBand(lo=60, hi=69, share=0.30), AgeBand(lo=70, hi=79, share=0.22), AgeBand(lo=80, hi=95, share=0.13))


def calibration(area_zh: str, area_id: str, members: int, teams: list[PinnedTeam], participants: int) -> Calibration:
    """One residential area with its teams given by hand; the rest as in the large community."""
    counts = [t.party_members for t in teams]
    places = sum(counts)
    return Calibration(
        members=members, as_of=AS_OF, areas=1, share_over_100=1.0 if members > 100 else 0.0,
        share_over_200=1.0 if members > 200 else 0.0, largest=members, area_min=1,
        area_names=[area_zh], area_ids=[area_id], area_teams={area_zh: teams},
        probationary_share=0.02, age_bands=AGES, retired_share=0.68, immobile_share=0.05, mobile_share=0.03,
        teams_per_area=len(teams),
        team_kind_shares={k: sum(t.kind == k for t in teams) / len(teams) for k in ("learning", "culture", "sports", "service")},
        participation_share=participants / members, two_teams_share=(places - participants) / participants,
        share_teams_any=sum(c >= 1 for c in counts) / len(teams), share_teams_3plus=sum(c >= 3 for c in counts) / len(teams),
        members_per_group=30, committee_size=5, members_per_building=6, households_per_building=(24, 120),
        buildings_per_courtyard=8, names=True, ties_per_member=1.0,
        community_id="moulu", community_name="某路社区", committee_id="moulu-wc", committee_name="某路社区党工委",
    )


CALIBRATION = calibration(AREA_ZH, AREA_ID, MEMBERS, TEAMS, PARTICIPANTS)


def main(out: Path) -> None:
    tables = generate(CALIBRATION, seed=SEED)
    out.mkdir(parents=True, exist_ok=True)
    tables.write(out)
    got = tables.summary()
    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    text = template.substitute(seed=SEED, as_of=AS_OF, members=got["members"], teams=got["teams"],
                               participants=got["participants"])
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
