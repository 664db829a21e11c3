"""Contract tests over every registered plugin of every family (garak's habit).

The test imports every module of the package, so a registry or plugin anywhere in
jmedllm is covered without being listed here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import jmedllm
from jmedllm.core.registry import NAME_PATTERN, REGISTRIES, PluginInfo


def _import_everything() -> None:
    for module in pkgutil.walk_packages(jmedllm.__path__, prefix="jmedllm."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)


_import_everything()
_PLUGINS: list[PluginInfo[object]] = [
    plugin for registry in REGISTRIES.values() for plugin in registry.plugins()
]


def test_there_are_registries_and_plugins() -> None:
    assert {"doctor.check", "model.bundled"} <= set(REGISTRIES)
    assert len(_PLUGINS) >= 8


@pytest.mark.parametrize("plugin", _PLUGINS, ids=lambda p: p.qualified_name)
def test_every_plugin_has_a_docstring_and_a_valid_name(plugin: PluginInfo[object]) -> None:
    assert NAME_PATTERN.match(plugin.name), plugin.name
    assert NAME_PATTERN.match(plugin.qualified_name), plugin.qualified_name
    assert len(plugin.doc) >= 10, f"{plugin.qualified_name} needs a docstring saying what it does"


@pytest.mark.parametrize("plugin", _PLUGINS, ids=lambda p: p.qualified_name)
def test_every_plugin_class_is_concrete(plugin: PluginInfo[object]) -> None:
    if inspect.isclass(plugin.obj):
        assert not inspect.isabstract(plugin.obj), f"{plugin.qualified_name} leaves abstract methods"


@pytest.mark.parametrize("family", sorted(REGISTRIES))
def test_family_names_are_valid(family: str) -> None:
    assert NAME_PATTERN.match(family)
