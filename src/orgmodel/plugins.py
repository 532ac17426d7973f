"""Plugin discovery and registries: one plugin host per engine, never a global one.

A :class:`PluginHost` builds its pluggy manager lazily on first use, loads installed
distributions through the entry-point group ``orgmodel`` (unless ``ORGMODEL_DISABLE_AUTOLOAD`` is
set or ``autoload=False``), adds any plugin objects it was given, and collects what the
``register_*`` hooks register into :class:`Registry` objects that refuse duplicate names.

>>> import types
>>> from orgmodel.kinds import DomainPack, UnitKind
>>> plugin = types.SimpleNamespace()
>>> @hookimpl
... def register_unit_kinds(register):
...     register(DomainPack(name="toy", statuses=("full",), full_statuses=("full",),
...              kinds=(UnitKind(id="toy.branch", role="org", relation="branch",
...                              label_zh="支部", label_en="branch"),)))
>>> plugin.register_unit_kinds = register_unit_kinds
>>> host = PluginHost(plugins={"toy-plugin": plugin}, autoload=False)
>>> host.domain_packs().names()
['toy']
>>> host.domain_pack("toy").kinds[0].id
'toy.branch'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

import pluggy

from . import hookspecs
from .errors import PluginError, UserError
from .hookspecs import hookimpl

__all__ = ["PluginHost", "Registry", "hookimpl", "AUTOLOAD_ENV", "ENTRY_POINT_GROUP"]

AUTOLOAD_ENV = "ORGMODEL_DISABLE_AUTOLOAD"
ENTRY_POINT_GROUP = "orgmodel"


class _Named(Protocol):
    name: str


T = TypeVar("T", bound=_Named)


class Registry(Generic[T]):
    """Named objects of one sort, in registration order; a duplicate name is an error.

    >>> from types import SimpleNamespace as NS
    >>> reg = Registry("strategy")
    >>> reg.add(NS(name="split"), plugin="a")
    >>> reg.add(NS(name="split"), plugin="b")
    Traceback (most recent call last):
    ...
    orgmodel.errors.PluginError: plugin b: strategy 'split' is already registered by plugin a
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}
        self._owner: dict[str, str | None] = {}
        self.plugin: str | None = None  # set by the host while a plugin's hook runs

    def add(self, item: T, *, plugin: str | None = None) -> None:
        """Add ``item`` under ``item.name``."""
        plugin = plugin if plugin is not None else self.plugin
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"registered {self.what} has no name: {item!r}", plugin=plugin)
        if name in self._items:
            raise PluginError(
                f"{self.what} {name!r} is already registered by plugin {self._owner[name]}",
                plugin=plugin,
            )
        self._items[name] = item
        self._owner[name] = plugin

    __call__ = add

    def get(self, name: str) -> T:
        """The object registered as ``name``; a UserError lists the names there are."""
        try:
            return self._items[name]
        except KeyError:
            have = ", ".join(sorted(self._items)) or "none"
            raise UserError(f"unknown {self.what} {name!r} (available: {have})") from None

    def owner(self, name: str) -> str | None:
        """Name of the plugin that registered ``name``."""
        return self._owner[name]

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._items)


class PluginHost:
    """The plugins of one engine: built lazily, never shared between engines or tests.

    :param plugins: extra plugin objects (modules, classes, namespaces) by name.
    :param autoload: load installed distributions through the ``orgmodel`` entry-point group;
        the environment variable ``ORGMODEL_DISABLE_AUTOLOAD`` (any non-empty value) turns it off.
    :param blocked: names of plugins (entry-point names) not to load.
    """

    def __init__(
        self,
        plugins: Mapping[str, object] | None = None,
        *,
        autoload: bool = True,
        blocked: tuple[str, ...] = (),
    ) -> None:
        self._extra = dict(plugins or {})
        self._autoload = autoload and not os.environ.get(AUTOLOAD_ENV)
        self._blocked = tuple(blocked)
        self._pm: pluggy.PluginManager | None = None
        self._registries: dict[str, Registry[Any]] = {}

    @property
    def manager(self) -> pluggy.PluginManager:
        """The pluggy manager, built on first use."""
        if self._pm is None:
            pm = pluggy.PluginManager(hookspecs.PROJECT)
            pm.add_hookspecs(hookspecs)
            for name in self._blocked:
                pm.set_blocked(name)
            if self._autoload:
                self._load_entry_points(pm)
            for name, plugin in sorted(self._extra.items()):
                self._register(pm, plugin, name)
            self._pm = pm
        return self._pm

    def _load_entry_points(self, pm: pluggy.PluginManager) -> None:
        from importlib.metadata import entry_points

        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if pm.is_blocked(ep.name) or pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must name itself, not crash the host
                raise PluginError(
                    f"failed to import {ep.value}: {type(exc).__name__}: {exc}", plugin=ep.name
                ) from exc
            self._register(pm, plugin, ep.name)

    @staticmethod
    def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(" ".join(str(exc).split()), plugin=name) from exc
        unknown = [
            attr
            for attr in dir(plugin)
            if attr.startswith("register_") and not hasattr(pm.hook, attr)
        ]
        if unknown:
            raise PluginError(f"unknown hook {unknown[0]!r} (misspelled?)", plugin=name)

    def plugin_names(self) -> list[str]:
        """Names of the registered plugins, sorted."""
        return sorted(n for n, p in self.manager.list_name_plugin() if p is not None)

    def collect(self, hook: str, what: str) -> Registry[Any]:
        """Run registration hook ``hook`` once and return the registry it filled."""
        if hook not in self._registries:
            registry: Registry[Any] = Registry(what)
            caller = getattr(self.manager.hook, hook)
            for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
                registry.plugin = impl.plugin_name
                kwargs: dict[str, Callable[..., None]] = {"register": registry}
                try:
                    impl.function(**{a: kwargs[a] for a in impl.argnames})
                except UserError:
                    raise
                except Exception as exc:
                    raise PluginError(
                        f"{hook} failed: {type(exc).__name__}: {exc}", plugin=impl.plugin_name
                    ) from exc
            registry.plugin = None
            self._registries[hook] = registry
        return self._registries[hook]

    def domain_packs(self) -> Registry[Any]:
        """Every registered domain pack."""
        return self.collect("register_unit_kinds", "domain pack")

    def domain_pack(self, name: str):  # -> DomainPack
        """The domain pack called ``name``."""
        return self.domain_packs().get(name)
