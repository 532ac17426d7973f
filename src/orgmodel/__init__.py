"""orgmodel: model organisation structures and compare reorganisation scenarios."""

from orgmodel.errors import (
    InvariantError,
    OrgModelError,
    PlanError,
    PluginError,
    SpecError,
    UserError,
)
from orgmodel.plugin.hookspecs import hookimpl
from orgmodel.model.structure import Structure

__version__ = "0.1.0"

import orgmodel.render.notebook  # noqa: E402,F401  (attaches Structure's notebook display)

__all__ = [
    "Structure",
    "OrgModelError",
    "UserError",
    "SpecError",
    "PlanError",
    "InvariantError",
    "PluginError",
    "hookimpl",
    "__version__",
]
