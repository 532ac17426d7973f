"""Generate the 昆阳 residential-area scenario (seed 004): 182 members reached by 11 backbone people.

One residential area of the large community (scenarios/large-community) on its own: before the
change its 182 members were kept in touch by 5 branch committee members and 6 party-group leaders
(11 people). Built with the party pack's population generator (one area, every team given by hand;
the calibration is the one of scenarios/ruili). Running this twice writes identical files.

    .venv/bin/python scenarios/kunyang/generate.py [--out DIR]     # default: this folder
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from string import Template

from orgmodel_party.population import PinnedTeam, generate

_spec = importlib.util.spec_from_file_location("ruili_generate", Path(__file__).resolve().parents[1] / "ruili" / "generate.py")
ruili = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ruili)

SEED, AS_OF = ruili.SEED, ruili.AS_OF
AREA_ZH, AREA_ID, MEMBERS = "昆阳", "kunyang", 182  # 182名党员
COMMITTEE, GROUPS = 5, 6  # 5名支委和6名党小组长: members_per_group 30 gives round(182 / 30) = 6 groups
T = PinnedTeam
TEAMS = [  # party members taking part in each team (assumed); the choir is the core of the later 文体党支部
    T(name="歌咏队", kind="culture", party_members=16), T(name="舞蹈队", kind="culture", party_members=9),
    T(name="太极拳队", kind="sports", party_members=8), T(name="健身操队", kind="sports", party_members=6),
    T(name="读书会", kind="learning", party_members=7), T(name="巡逻队", kind="service", party_members=12),
    T(name="志愿服务队", kind="service", party_members=9), T(name="议事团", kind="service", party_members=6),
]
PARTICIPANTS = 72  # 81 places: 9 members take part in two teams
CALIBRATION = ruili.calibration(AREA_ZH, AREA_ID, MEMBERS, TEAMS, PARTICIPANTS)
assert CALIBRATION.committee_size == COMMITTEE and round(MEMBERS / CALIBRATION.members_per_group) == GROUPS


def main(out: Path) -> None:
    tables = generate(CALIBRATION, seed=SEED)
    out.mkdir(parents=True, exist_ok=True)
    tables.write(out)
    got = tables.summary()
    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    text = template.substitute(seed=SEED, as_of=AS_OF, members=got["members"], teams=got["teams"],
                               participants=got["participants"], backbone=got["backbone"])
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
