"""The plugin registry: decorator registration, dotted names, lazy module loading."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from jmedllm.core.errors import RegistryError
from jmedllm.core.registry import REGISTRIES, Registry, own_docstring


@pytest.fixture
def family() -> Iterator[str]:
    name = "test.widget"
    yield name
    REGISTRIES.pop(name, None)


class Widget:
    """Base of the test family."""


def test_register_get_and_create(family: str) -> None:
    registry: Registry[type[Widget]] = Registry(family, base=Widget)

    @registry.register("ja.round")
    class RoundWidget(Widget):
        """A round widget."""

        def __init__(self, size: int = 1) -> None:
            self.size = size

    assert registry.get("ja.round") is RoundWidget
    assert registry.get(f"{family}.ja.round") is RoundWidget
    assert registry.create("ja.round", size=3).size == 3
    assert "ja.round" in registry and "missing" not in registry
    assert registry.names() == ["ja.round"]
    [info] = registry.plugins()
    assert info.qualified_name == "test.widget.ja.round"
    assert info.doc == "A round widget."


@pytest.mark.parametrize("bad", ["Upper", "1abc", "a..b", "a b", "", "ja.", "日本"])
def test_invalid_names_are_rejected(family: str, bad: str) -> None:
    registry: Registry[object] = Registry(family)
    with pytest.raises(RegistryError, match="invalid plugin name"):
        registry.register(bad)


def test_duplicates_wrong_base_and_unknown_names(family: str) -> None:
    registry: Registry[type[Widget]] = Registry(family, base=Widget)

    @registry.register("one")
    class One(Widget):
        """One."""

    with pytest.raises(RegistryError, match="already registered"):

        @registry.register("one")
        class Other(Widget):
            """Other."""

    with pytest.raises(RegistryError, match="subclass"):
        registry.register("plain")(object)
    with pytest.raises(RegistryError, match=r"unknown test\.widget plugin 'nope'") as info:
        registry.get("nope")
    assert "known: one" in (info.value.hint or "")
    with pytest.raises(RegistryError, match="already exists"):
        Registry(family)


def test_modules_are_imported_lazily_on_first_lookup(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    registry: Registry[object] = Registry(family, modules=("fake_plugins_mod",))
    module = types.ModuleType("fake_plugins_mod")
    imported: list[str] = []

    def _exec() -> None:
        imported.append("yes")

        def thing() -> None:
            """A thing."""

        registry.register("thing")(thing)

    monkeypatch.setitem(sys.modules, "fake_plugins_mod", module)
    monkeypatch.setattr("importlib.import_module", lambda name: (_exec(), module)[1])
    assert imported == []
    assert registry.names() == ["thing"]
    assert registry.names() == ["thing"]
    assert imported == ["yes"]


def test_own_docstring_ignores_inherited_ones() -> None:
    class Child(Widget):
        pass

    assert own_docstring(Widget) == "Base of the test family."
    assert own_docstring(Child) == ""
