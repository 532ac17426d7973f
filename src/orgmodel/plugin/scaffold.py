"""``orgmodel new-plugin NAME``: write an installable plugin package that passes its own tests.

The package has a ``pyproject.toml`` with the ``orgmodel`` entry point, a working strategy (cut
oversized branches into balanced sibling branches, none below the founding minimum) with
parameters as a pydantic model, tests that run the contract kit over the plugin's strategies, and
a README saying how to install, test and use it. Nothing in it links to a package index.

>>> import tempfile, pathlib
>>> folder = write_plugin("docstring-example", pathlib.Path(tempfile.mkdtemp()))
>>> sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
['README.md', 'pyproject.toml', 'src/docstring_example/__init__.py', 'src/docstring_example/plugin.py', 'src/docstring_example/strategy.py', 'tests/test_strategy.py']
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from orgmodel import __version__
from orgmodel.errors import UserError

__all__ = ["write_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
description = "An orgmodel plugin: {name}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["orgmodel>={core_version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.orgmodel]
{name} = "{module}.plugin"

[tool.setuptools.packages.find]
where = ["src"]
'''

INIT = '''\
"""{name}: an orgmodel plugin."""

__version__ = "0.1.0"
'''

PLUGIN = '''\
"""Registers this package's strategies with orgmodel (found through the ``orgmodel`` entry point)."""

from orgmodel import hookimpl

from {module}.strategy import CapBranchSize


@hookimpl
def register_strategies(register):
    """Register the strategies of this plugin."""
    register(CapBranchSize())
'''

STRATEGY = '''\
"""An example strategy: no branch above ``max_size`` members, no new branch below the founding minimum.

An oversized branch is cut into balanced parts: the fewest parts of at most ``max_size`` members,
each with at least ``min_full`` full members. Where there are too few full members for that, fewer
(larger) parts are made, and a branch that cannot found a second one is left for the rules to
report. Edit it, rename it, or add more strategies next to it (and register them in ``plugin.py``).
"""

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from orgmodel import Strategy


class CapBranchSize(Strategy):
    """Cut every branch above ``max_size`` members into balanced sibling branches."""

    name = "{name}"
    label_zh = "限制支部规模"
    label_en = "cap branch size"
    description = "A branch above max_size members is cut into balanced sibling branches."
    templates = {{
        "overflow": {{
            "zh": "{{unit}}有{{size}}名党员，超过{{max_size}}人，分为{{parts}}个支部",
            "en": "{{unit}} has {{size}} members, more than {{max_size}}: cut into {{parts}} branches",
        }},
    }}

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")  # a misspelt parameter is an error

        max_size: int = Field(50, ge=1, description="the largest branch allowed")
        min_full: int = Field(3, ge=1, description="full members every branch keeps at least (the founding minimum)")

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        sizes = s.sizes()
        full = s.full_mask  # by member code: active members whose status counts as full
        for unit in s.unit_ids(role="org"):
            kind = s.kinds[s.kind_of(unit)]
            if kind.relation != "branch" or kind.id.startswith("core."):
                continue
            size = int(sizes[s.unit_code(unit)])
            if size <= params.max_size:
                continue
            codes = s.member_codes_of(unit)  # ascending member codes: the same plan in every process
            n_full = int(full[codes].sum())
            parts = min(-(-size // params.max_size), n_full // params.min_full)
            if parts < 2:
                continue
            # full members first, then the others, dealt round-robin: each part gets its share of both
            order = np.concatenate([codes[full[codes]], codes[~full[codes]]])
            name = s.unit(unit).name  # names, not ids, in reasons: planners read them
            reason = ("overflow", {{"unit": name, "size": size, "max_size": params.max_size, "parts": parts}})
            for part in range(2, parts + 1):
                new = plan.create_unit(
                    f"{{unit}}-part{{part}}",
                    kind=kind.id,
                    name=f"{{name}}（{{part}}）",
                    parent=s.parent(unit),
                    built_on=s.built_on(unit),
                    reason=reason,
                )
                plan.move(s.members.ids[order[part - 1 :: parts]].tolist(), to=new, reason=reason)
        return plan.build()
'''

TESTS = '''\
"""Tests of {name}: the orgmodel contract kit over this plugin's strategies, and what this one promises."""

import pytest

from orgmodel import UserError, apply
from orgmodel.testing import contract_baselines, parametrize_contract

from {module} import plugin
from {module}.strategy import CapBranchSize


@parametrize_contract(plugin=plugin)  # every strategy this plugin registers, installed or not
def test_contract(contract_case):
    contract_case.check()


def test_no_branch_above_max_size_and_none_below_the_founding_minimum():
    structure = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    after = apply(structure, CapBranchSize().propose_on(structure, {{"max_size": 30}}))
    branches = after.unit_ids("party.branch")
    assert max(after.size(u) for u in branches) <= 30
    assert min(after.size(u, full_only=True) for u in branches) >= 3
    assert sum(after.size(u) for u in branches) == sum(structure.size(u) for u in structure.unit_ids("party.branch"))


def test_bad_parameter_is_refused():
    with pytest.raises(UserError, match="max_size"):
        CapBranchSize().parse_params({{"max_size": 0}})
'''

README = '''\
# {name}

An orgmodel plugin with one strategy, `{name}`: every branch above `max_size` members is cut
into balanced sibling branches, none with fewer than `min_full` full members.

## Install, test, use

With orgmodel installed in the same environment (from its own repository):

```bash
pip install -e .          # registers the plugin through the `orgmodel` entry point
orgmodel plugins          # lists {name}
pytest                    # the contract kit and this strategy's own tests
```

In a scenario:

```yaml
variants:
  - name: capped
    steps:
      - strategy: {name}
        params: {{max_size: 30}}
```

## Parameters

| name | default | meaning |
|---|---|---|
| `max_size` | 50 | the largest branch allowed (≥ 1) |
| `min_full` | 3 | full members every branch keeps at least, the founding minimum (≥ 1) |

## Files

- `src/{module}/strategy.py`: the strategy (parameters as a pydantic model, `propose(ctx, params)`);
- `src/{module}/plugin.py`: registers it (`register_strategies`);
- `tests/test_strategy.py`: the contract kit over every strategy the plugin registers
  (`orgmodel.testing.parametrize_contract`) and the strategy's own checks.
'''


def write_plugin(name: str, parent: Path) -> Path:
    """Write the package ``parent/name``; refuse a bad name or an existing folder."""
    if not _NAME.match(name):
        raise UserError(f"plugin name {name!r}: use lowercase letters, digits and single hyphens, e.g. demo-strategy")
    module = name.replace("-", "_")
    reserved = {"orgmodel", "orgmodel-party", "orgmodel-seed-strategies", "test", "tests"}
    import importlib.util

    if name in reserved or importlib.util.find_spec(module) is not None:
        raise UserError(f"plugin name {name!r} is taken (a module {module!r} exists already); choose another name")
    parent = Path(parent)
    target = parent / name
    if target.exists():
        raise UserError(f"{target} exists already; choose another name or folder")
    if not parent.is_dir():
        raise UserError(f"folder {parent} does not exist")
    module = name.replace("-", "_")
    values = {"name": name, "module": module, "core_version": __version__}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{module}/__init__.py": INIT,
        f"src/{module}/plugin.py": PLUGIN,
        f"src/{module}/strategy.py": STRATEGY,
        "tests/test_strategy.py": TESTS,
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=parent))
    try:
        for rel, template in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(**values), encoding="utf-8")
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
