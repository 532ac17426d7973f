"""``orgmodel new-plugin NAME``: write an installable plugin package that passes its own tests.

The package has a ``pyproject.toml`` with the ``orgmodel`` entry point, a working strategy (cap
the size of branches by opening sibling branches) with parameters as a pydantic model, tests that
run the contract kit, and a README saying how to install, test and use it.

>>> import tempfile, pathlib
>>> folder = write_plugin("demo-strategy", pathlib.Path(tempfile.mkdtemp()))
>>> sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
['README.md', 'pyproject.toml', 'src/demo_strategy/__init__.py', 'src/demo_strategy/plugin.py', 'src/demo_strategy/strategy.py', 'tests/test_strategy.py']
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
"""An example strategy: no branch larger than ``max_size``; the overflow opens sibling branches.

Edit it, rename it, or add more strategies next to it (and register them in ``plugin.py``).
"""

from pydantic import BaseModel, ConfigDict, Field

from orgmodel.plugin.strategy import Strategy


class CapBranchSize(Strategy):
    """Split every branch above ``max_size`` members into branches of at most ``max_size``."""

    name = "{name}"
    label_zh = "限制支部规模"
    label_en = "cap branch size"
    description = "Branches above max_size members open sibling branches for the overflow."
    templates = {{
        "overflow": {{
            "zh": "{{unit}}有{{size}}名党员，超过{{max_size}}人，分出新支部",
            "en": "{{unit}} has {{size}} members, more than {{max_size}}: a new branch takes the overflow",
        }},
    }}

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")  # a misspelt parameter is an error

        max_size: int = Field(50, ge=1, description="the largest branch allowed")

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        sizes = s.sizes()
        for unit in s.unit_ids(role="org"):
            kind = s.kinds[s.kind_of(unit)]
            if kind.relation != "branch" or kind.id.startswith("core."):
                continue
            size = int(sizes[s.unit_code(unit)])
            if size <= params.max_size:
                continue
            members = s.member_ids_of(unit)  # sorted by member code: deterministic
            reason = ("overflow", {{"unit": unit, "size": size, "max_size": params.max_size}})
            for part, start in enumerate(range(params.max_size, size, params.max_size), start=2):
                new = plan.create_unit(
                    f"{{unit}}-part{{part}}",
                    kind=kind.id,
                    name=f"{{s.unit(unit).name}}（{{part}}）",
                    parent=s.parent(unit),
                    built_on=s.built_on(unit),
                    reason=reason,
                )
                plan.move(members[start : start + params.max_size], to=new, reason=reason)
        return plan.build()
'''

TESTS = '''\
"""Tests of {name}: the orgmodel contract kit, and what this strategy promises."""

from orgmodel.model.apply import apply
from orgmodel.testing import check_strategy, contract_baselines

from {module}.strategy import CapBranchSize


def test_contract():
    check_strategy(CapBranchSize(), {{"max_size": 30}})


def test_no_branch_is_left_above_max_size():
    structure = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    plan = CapBranchSize().propose_on(structure, {{"max_size": 30}})
    after = apply(structure, plan)
    branches = [u for u in after.unit_ids("party.branch")]
    assert max(after.size(u) for u in branches) <= 30
    assert sum(after.size(u) for u in branches) == structure.size("top", subtree=True)


def test_bad_parameter_is_refused():
    import pytest
    from orgmodel.errors import UserError

    with pytest.raises(UserError, match="max_size"):
        CapBranchSize().parse_params({{"max_size": 0}})
'''

README = '''\
# {name}

An [orgmodel](https://pypi.org/project/orgmodel/) plugin with one strategy, `{name}`: every
branch above `max_size` members opens sibling branches for the overflow.

## Install, test, use

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

## Files

- `src/{module}/strategy.py`: the strategy (parameters as a pydantic model, `propose(ctx, params)`);
- `src/{module}/plugin.py`: registers it (`register_strategies`);
- `tests/test_strategy.py`: runs `orgmodel.testing.check_strategy` and the strategy's own checks.
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
