"""Plugin discovery and registries: one plugin host per engine, never a global one.

A :class:`PluginHost` builds its pluggy manager lazily on first use, loads installed
distributions through the entry-point group ``orgmodel`` (unless ``ORGMODEL_DISABLE_AUTOLOAD`` is
set or ``autoload=False``), adds any plugin objects it was given, and collects what the
``register_*`` hooks register into :class:`Registry` objects that refuse duplicate names.

>>> import types
>>> from orgmodel.model.kinds import DomainPack, UnitKind
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

import difflib
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pluggy

from orgmodel.plugin import hookspecs
from orgmodel.errors import PluginError, UserError
from orgmodel.plugin.hookspecs import BehaviourModel, hookimpl

if TYPE_CHECKING:
    from orgmodel.analysis.metrics import Metric
    from orgmodel.analysis.rules import RulePack
    from orgmodel.model.kinds import DomainPack
    from orgmodel.plugin.strategy import Strategy

__all__ = ["PluginHost", "PluginInfo", "Registry", "hookimpl", "AUTOLOAD_ENV", "ENTRY_POINT_GROUP"]

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


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin: its name, version, where it came from, and the hooks it implements."""

    name: str
    version: str
    source: str
    hooks: tuple[str, ...]


class PluginHost:
    """The plugins of one engine: built lazily, never shared between engines or tests.

    :param plugins: extra plugin objects (modules, classes, namespaces) by name.
    :param autoload: load installed distributions through the ``orgmodel`` entry-point group;
        the environment variable ``ORGMODEL_DISABLE_AUTOLOAD`` (any non-empty value) turns it off.
    :param blocked: names of plugins (entry-point names or ``local:STEM``) not to load.
    :param plugin_dirs: local folders whose ``*.py`` files (and packages) are loaded as plugins,
        in sorted order, under the module names ``orgmodel_local.<folder hash>.<stem>``.
    """

    def __init__(
        self,
        plugins: Mapping[str, object] | None = None,
        *,
        autoload: bool = True,
        blocked: tuple[str, ...] = (),
        plugin_dirs: tuple[Path, ...] = (),
    ) -> None:
        self._extra = dict(plugins or {})
        self._autoload = autoload and not os.environ.get(AUTOLOAD_ENV)
        self._blocked = tuple(blocked)
        self._dirs = tuple(dict.fromkeys(Path(d).resolve() for d in plugin_dirs))  # each folder once
        self._pm: pluggy.PluginManager | None = None
        self._registries: dict[str, Registry[Any]] = {}
        self._info: dict[str, tuple[str, str]] = {}  # plugin name -> (version, source)

    @property
    def manager(self) -> pluggy.PluginManager:
        """The pluggy manager, built on first use."""
        if self._pm is None:
            pm = pluggy.PluginManager(hookspecs.PROJECT)
            pm.add_hookspecs(hookspecs)
            for name in self._blocked:
                pm.set_blocked(name)
            from orgmodel import __version__
            from orgmodel.builtin import plugin as builtin

            self._register(pm, builtin, "orgmodel", (__version__, "built-in"))
            if self._autoload:
                self._load_entry_points(pm)
            for folder in self._dirs:
                self._load_folder(pm, folder)
            for name, plugin in sorted(self._extra.items()):
                self._register(pm, plugin, name, ("", "given"))
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
                    f"failed to import {ep.value}: {type(exc).__name__}: {_one_line(exc)}", plugin=ep.name
                ) from exc
            dist = getattr(ep, "dist", None)
            version = dist.version if dist is not None else ""
            source = f"entry point ({dist.name})" if dist is not None else "entry point"
            self._register(pm, plugin, ep.name, (version, source))

    def _load_folder(self, pm: pluggy.PluginManager, folder: Path) -> None:
        if not folder.is_dir():
            raise PluginError(f"plugin folder {folder} does not exist")
        tag = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]
        candidates = sorted(
            [p for p in folder.iterdir() if p.suffix == ".py" and not p.name.startswith("_")]
            + [p / "__init__.py" for p in folder.iterdir() if (p / "__init__.py").is_file()],
            key=lambda p: (p.parent.name if p.name == "__init__.py" else p.stem),
        )
        for path in candidates:
            stem = path.parent.name if path.name == "__init__.py" else path.stem
            name = f"local:{stem}"
            if pm.is_blocked(name):
                continue
            if pm.has_plugin(name):
                raise PluginError(
                    f"{path} has the same name as the plugin loaded from {self._info[name][1]}; rename one",
                    plugin=name,
                )
            module = _import_file(path, f"orgmodel_local.p{tag}.{stem}", plugin=name)
            self._register(pm, module, name, ("local", str(path)))

    def _register(self, pm: pluggy.PluginManager, plugin: object, name: str, info: tuple[str, str]) -> None:
        known = set(hookspecs.REGISTRIES)
        for attr in sorted(dir(plugin)):
            value = getattr(plugin, attr, None)
            marked = getattr(value, f"{hookspecs.PROJECT}_impl", None) is not None
            if marked and attr not in known:
                close = difflib.get_close_matches(attr, sorted(known), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise PluginError(f"unknown hook {attr!r}{hint}", plugin=name)
            if not marked and attr in known and callable(value):
                raise PluginError(f"{attr} is not marked @hookimpl, so it would never run", plugin=name)
            if not marked and attr.startswith("register_") and callable(value):
                close = difflib.get_close_matches(attr, sorted(known), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise PluginError(f"unknown hook {attr!r}{hint}", plugin=name)
        if pm.has_plugin(name):
            raise PluginError(
                f"{info[1]} has the same name as the plugin loaded from {self._info[name][1]}; rename one",
                plugin=name,
            )
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(" ".join(str(exc).split()), plugin=name) from exc
        self._info[name] = info

    def plugin_names(self) -> list[str]:
        """Names of the registered plugins, sorted."""
        return sorted(n for n, p in self.manager.list_name_plugin() if p is not None)

    def describe(self) -> list[PluginInfo]:
        """Every loaded plugin with its version, source and implemented hooks, sorted by name."""
        pm = self.manager
        out = []
        for name in self.plugin_names():
            plugin = pm.get_plugin(name)
            hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
            version, source = self._info.get(name, ("", ""))
            out.append(PluginInfo(name=name, version=version, source=source, hooks=hooks))
        return out

    def collect(self, hook: str) -> Registry[Any]:
        """The registry that registration hook ``hook`` fills (for listing, as ``orgmodel plugins`` does).

        >>> PluginHost(autoload=False).collect("register_unit_kinds").what
        'domain pack'
        """
        accessors: dict[str, Callable[[], Registry[Any]]] = {
            "register_unit_kinds": self.domain_packs,
            "register_strategies": self.strategies,
            "register_metrics": self.metrics,
            "register_rule_packs": self.rule_packs,
            "register_behaviour_models": self.behaviour_models,
        }
        if hook not in accessors:
            raise UserError(f"unknown hook {hook!r} (hooks: {', '.join(hookspecs.REGISTRIES)})")
        return accessors[hook]()

    def domain_packs(self) -> Registry[DomainPack]:
        """Every registered domain pack."""
        return self._fill(self.manager.hook.register_unit_kinds, "register_unit_kinds")

    def domain_pack(self, name: str) -> DomainPack:
        """The domain pack called ``name``."""
        return self.domain_packs().get(name)

    def metrics(self) -> Registry[Metric]:
        """Every registered metric."""
        return self._fill(self.manager.hook.register_metrics, "register_metrics")

    def rule_packs(self) -> Registry[RulePack]:
        """Every registered rule pack."""
        return self._fill(self.manager.hook.register_rule_packs, "register_rule_packs")

    def behaviour_models(self) -> Registry[BehaviourModel]:
        """Every registered behaviour model (provisional: nothing runs them until the simulation lands)."""
        return self._fill(self.manager.hook.register_behaviour_models, "register_behaviour_models")

    def strategies(self) -> Registry[Strategy]:
        """Every registered strategy, checked against the strategy contract."""
        fresh = "register_strategies" not in self._registries
        registry: Registry[Strategy] = self._fill(self.manager.hook.register_strategies, "register_strategies")
        if fresh:
            try:
                for strategy in registry:
                    _check_strategy_object(strategy, registry.owner(strategy.name))
            except PluginError:
                del self._registries["register_strategies"]  # asked again, it fails again
                raise
        return registry

    def _fill(self, caller: pluggy.HookCaller, hook: str) -> Registry[Any]:
        """Run registration hook ``hook`` once, plugin by plugin in name order, into a registry."""
        if hook not in self._registries:
            registry: Registry[Any] = Registry(hookspecs.REGISTRIES[hook])
            for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
                registry.plugin = impl.plugin_name
                kwargs: dict[str, Registry[Any]] = {"register": registry}
                try:
                    impl.function(**{a: kwargs[a] for a in impl.argnames})
                except UserError:
                    raise
                except Exception as exc:
                    raise PluginError(
                        f"{hook} failed: {type(exc).__name__}: {_one_line(exc)}", plugin=impl.plugin_name
                    ) from exc
            registry.plugin = None
            self._registries[hook] = registry
        return self._registries[hook]


def _check_strategy_object(strategy: Any, plugin: str | None) -> None:
    from pydantic import BaseModel

    if isinstance(strategy, type):
        raise PluginError(
            f"strategy {strategy.name!r} was registered as the class {strategy.__name__};"
            f" register an instance: register({strategy.__name__}())",
            plugin=plugin,
        )
    params = getattr(strategy, "Params", None)
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        raise PluginError(f"strategy {strategy.name!r} has no pydantic Params model", plugin=plugin)
    if params.model_config.get("extra") != "forbid":
        raise PluginError(
            f"strategy {strategy.name!r}: Params must set model_config = ConfigDict(extra='forbid')"
            " so that misspelt parameters are errors",
            plugin=plugin,
        )
    if not callable(getattr(strategy, "propose", None)):
        raise PluginError(f"strategy {strategy.name!r} has no propose(ctx, params) method", plugin=plugin)


def _import_file(path: Path, module_name: str, *, plugin: str) -> ModuleType:
    """Import one file as ``module_name`` without touching ``sys.path`` for longer than needed."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot import {path}", plugin=plugin)
    for parent in _parents(module_name):
        sys.modules.setdefault(parent, ModuleType(parent))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        line = ""
        tb = exc.__traceback__
        files = {str(path), str(path.resolve()), str(spec.origin)}
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in files:
                line = f":{tb.tb_lineno}"
            tb = tb.tb_next
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = f":{exc.lineno}"
        message = exc.msg if isinstance(exc, SyntaxError) and exc.msg else _one_line(exc)
        raise PluginError(f"failed to import {path}{line}: {type(exc).__name__}: {message}", plugin=plugin) from exc
    return module


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (the CLI prints every user error as one line)."""
    return " ".join(str(exc).split())


def _parents(module_name: str) -> list[str]:
    parts = module_name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]
