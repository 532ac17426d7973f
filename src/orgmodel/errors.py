"""One exception hierarchy for orgmodel.

Every error the user can fix derives from :class:`UserError` and renders as one line; the CLI
prints that line and exits with status 2. Anything else that escapes is a bug.

>>> err = SpecError("bad value", file="s.yaml", line=3, column=5, field="baseline.members")
>>> str(err)
's.yaml:3:5: baseline.members: bad value'
>>> str(InvariantError("member m1 has no branch", node="m1", strategy="split", operation=2))
'invariant broken at m1: member m1 has no branch (strategy split, operation 2)'
"""

from __future__ import annotations

__all__ = [
    "OrgModelError",
    "UserError",
    "SpecError",
    "RosterError",
    "RosterErrors",
    "SpecErrors",
    "MAX_ROSTER_ERRORS",
    "PlanError",
    "InvariantError",
    "PluginError",
]


class OrgModelError(Exception):
    """Base of every error orgmodel raises on purpose."""


class UserError(OrgModelError):
    """An error in something the user gave us: a file, a parameter, a plan."""


class SpecError(UserError):
    """An error located in a file: ``file:line:col: field: message``.

    Any part of the location may be unknown; unknown parts are left out.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            loc = str(self.file)
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            where.append(loc)
        if self.field:
            where.append(self.field)
        where.append(" ".join(self.message.split()))
        return ": ".join(where)


class RosterError(SpecError):
    """A roster table (CSV, XLSX, JSON) with a bad row or column."""


#: Most errors of a file shown at once; the rest are counted ("and 7 more errors").
MAX_ROSTER_ERRORS = 20


class SpecErrors(SpecError):
    """Several errors of a file, each one line (``file:line:col: field: message``), at most
    :data:`MAX_ROSTER_ERRORS` of them, then how many more there are. Its location and message
    are the first error's.

    >>> e = SpecErrors([SpecError("bad", file="s.yaml", line=3, field="name")] * 22)
    >>> str(e).splitlines()[0], str(e).splitlines()[-1], len(e.errors)
    ('s.yaml:3: name: bad', 'and 2 more errors', 22)
    """

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=first.file, line=first.line, column=first.column, field=first.field)

    def __str__(self) -> str:
        errors = getattr(self, "errors", None)
        if not errors:
            return super().__str__()
        lines = [SpecError.__str__(e) for e in errors[:MAX_ROSTER_ERRORS]]
        more = len(errors) - MAX_ROSTER_ERRORS
        if more > 0:
            lines.append(f"and {more} more error{'s' if more > 1 else ''}")
        return "\n".join(lines)


class RosterErrors(SpecErrors, RosterError):
    """Several errors of the rosters (see :class:`SpecErrors`)."""


class PlanError(UserError):
    """A plan that cannot be applied to the structure it is applied to."""

    def __init__(self, message: str, *, strategy: str | None = None, operation: int | None = None):
        self.message = message
        self.strategy = strategy
        self.operation = operation
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.message + _origin(self.strategy, self.operation)


class InvariantError(UserError):
    """A structure that breaks an invariant; names the node and, when known, the plan step.

    It comes from data (a baseline) or from a plan (a strategy or a hand-written step), never
    from orgmodel itself, so it is reported like any other user error.
    """

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        strategy: str | None = None,
        operation: int | None = None,
    ) -> None:
        self.message = message
        self.node = node
        self.strategy = strategy
        self.operation = operation
        super().__init__(self.__str__())

    def __str__(self) -> str:
        at = f" at {self.node}" if self.node is not None else ""
        return f"invariant broken{at}: {self.message}" + _origin(self.strategy, self.operation)


class PluginError(UserError):
    """A plugin that cannot be loaded or that broke its contract; names the plugin."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.message = message
        self.plugin = plugin
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"plugin {self.plugin}: {self.message}" if self.plugin else self.message


def _origin(strategy: str | None, operation: int | None) -> str:
    parts = []
    if strategy is not None:
        parts.append(f"strategy {strategy}")
    if operation is not None:
        parts.append(f"operation {operation}")
    return f" ({', '.join(parts)})" if parts else ""
