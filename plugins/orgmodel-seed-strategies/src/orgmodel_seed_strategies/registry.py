"""The strategies of this package: one module each, listed here as "module:Class"."""

from importlib import import_module

STRATEGIES = [
    # one line per strategy, "module:Class"
    "team_branches:TeamBranches",
    "village_alliance:VillageAlliance",
    "industry_branch:IndustryBranch",
    "community_joint:CommunityJoint",
    "courtyard_grid:CourtyardGrid",
    "two_new:TwoNewCoverage",
    "agency_alignment:AgencyAlignment",
    "joint_branches:JointBranches",
    "split_branch:SplitBranch",
    "category_branches:CategoryBranches",
]


def strategies():
    """An instance of every strategy of this package, in the order listed."""
    out = []
    for ref in STRATEGIES:
        module, cls = ref.split(":")
        out.append(getattr(import_module(f"orgmodel_seed_strategies.{module}"), cls)())
    return out
