"""orgmodel: model organisation structures and compare reorganisation scenarios."""

from .errors import (
    InvariantError,
    OrgModelError,
    PlanError,
    PluginError,
    SpecError,
    UserError,
)
from .hookspecs import hookimpl
from .structure import Structure

__version__ = "0.1.0"

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
