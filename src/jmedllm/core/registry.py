"""One plugin registry pattern for every plugin family.

A family (de-identification recognizers, data filters, guard rails, doctor checks …)
owns one :class:`Registry`. Plugins join it with a decorator and a dotted name::

    recognizers = Registry("deid.recognizer", base=Recognizer,
                           modules=("jmedllm.deid.recognizers",))

    @recognizers.register("phone")
    class PhoneRecognizer(Recognizer):
        \"\"\"Japanese phone and fax numbers.\"\"\"

The decorator is the only place a plugin is named: there is no second mapping table and
no on-disk plugin cache (garak's cache is a known source of stale-plugin bugs). A
registry imports the modules listed in ``modules`` the first time it is asked for its
plugins, so importing :mod:`jmedllm` stays cheap and plugins still cannot be forgotten.

Every registry is also listed in :data:`REGISTRIES`, which is what the contract tests walk.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from jmedllm.core.errors import RegistryError

__all__ = ["NAME_PATTERN", "REGISTRIES", "PluginInfo", "Registry", "all_registries"]

T = TypeVar("T")

#: A plugin or family name: lowercase ASCII words joined by dots, words may use digits,
#: ``_`` and ``-`` (``smollm2-135m-instruct``, ``deid.recognizer``, ``ja.phone``).
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_\-]*(\.[a-z][a-z0-9_\-]*)*$")

#: Every registry created in the process, by family name.
REGISTRIES: dict[str, Registry[Any]] = {}


@dataclass(frozen=True, slots=True)
class PluginInfo(Generic[T]):
    """A registered plugin: its short name, its dotted full name and the object itself."""

    name: str
    qualified_name: str
    obj: T

    @property
    def doc(self) -> str:
        """The plugin's own docstring (not one inherited from its base class)."""
        return own_docstring(self.obj)


def own_docstring(obj: object) -> str:
    """The docstring written on ``obj`` itself; a class does not inherit one here."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


class Registry(Generic[T]):
    """Plugins of one family, by dotted name.

    Args:
        family: dotted family name, e.g. ``"deid.recognizer"``; plugins are known
            outside the family as ``"<family>.<name>"``.
        base: when given, every registered class must subclass it (functions are
            accepted when ``base`` is None).
        modules: modules that define the family's built-in plugins; imported lazily,
            once, on the first lookup.
    """

    def __init__(self, family: str, *, base: type | None = None, modules: tuple[str, ...] = ()) -> None:
        if not NAME_PATTERN.match(family):
            raise RegistryError(f"invalid registry family name {family!r}")
        if family in REGISTRIES:
            raise RegistryError(f"a registry for family {family!r} already exists")
        self.family = family
        self.base = base
        self._modules = modules
        self._loaded = not modules
        self._plugins: dict[str, PluginInfo[T]] = {}
        REGISTRIES[family] = self

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers a class or function under ``name``."""
        if not NAME_PATTERN.match(name):
            raise RegistryError(
                f"invalid plugin name {name!r} in {self.family}",
                hint="use lowercase ASCII words joined by dots, e.g. 'ja.phone'",
            )

        def decorator(obj: T) -> T:
            if self.base is not None and not (inspect.isclass(obj) and issubclass(obj, self.base)):
                raise RegistryError(f"{self.family}.{name} must be a subclass of {self.base.__qualname__}")
            existing = self._plugins.get(name)
            if existing is not None and existing.obj is not obj:
                raise RegistryError(f"{self.family}.{name} is already registered to {existing.obj!r}")
            self._plugins[name] = PluginInfo(name, f"{self.family}.{name}", obj)
            return obj

        return decorator

    def _load(self) -> None:
        if not self._loaded:
            # Mark first: a plugin module may itself look up this registry at import time.
            self._loaded = True
            for module in self._modules:
                importlib.import_module(module)

    def get(self, name: str) -> T:
        """The plugin called ``name`` (short or fully qualified)."""
        self._load()
        short = name.removeprefix(self.family + ".")
        try:
            return self._plugins[short].obj
        except KeyError:
            known = ", ".join(sorted(self._plugins)) or "none"
            raise RegistryError(f"unknown {self.family} plugin {name!r}", hint=f"known: {known}") from None

    def create(self, name: str, /, **kwargs: Any) -> Any:
        """Instantiate (or call) the plugin called ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)  # type: ignore[operator]

    def names(self) -> list[str]:
        """Short names of all plugins, sorted."""
        self._load()
        return sorted(self._plugins)

    def plugins(self) -> list[PluginInfo[T]]:
        """All plugins, sorted by name."""
        self._load()
        return [self._plugins[name] for name in sorted(self._plugins)]

    def __contains__(self, name: object) -> bool:
        self._load()
        return isinstance(name, str) and name.removeprefix(self.family + ".") in self._plugins

    def __iter__(self) -> Iterator[PluginInfo[T]]:
        return iter(self.plugins())

    def __len__(self) -> int:
        self._load()
        return len(self._plugins)

    def __repr__(self) -> str:
        return f"Registry({self.family!r}, {len(self._plugins)} plugins)"


def all_registries(modules: tuple[str, ...] = ()) -> dict[str, Registry[Any]]:
    """Every registry, after importing ``modules`` (which create registries as a side effect)."""
    for module in modules:
        importlib.import_module(module)
    return dict(REGISTRIES)
