"""Public names of a package imported on first use (PEP 562), for ``ccsim`` and ``ccsim.scenario``.

Imports nothing beyond the standard library: it runs when ``import ccsim`` does.
"""
from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec


def lazy_exports(package: str, exports: dict, namespace: dict):
    """The ``__getattr__`` and ``__dir__`` of the package ``package`` (its ``__name__``), whose
    module namespace is ``namespace`` (its ``globals()``) and whose public names ``exports``
    maps to the submodule defining each.

    A public name is imported on first use and kept in the namespace (later uses are plain
    lookups); any other name that is a submodule (``ccsim.results``) is imported as an attribute,
    as when the package's ``__init__`` imported them all.
    """

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            return _submodule(package, name)
        value = getattr(import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted({*namespace, *exports})

    return __getattr__, __dir__


def _submodule(package: str, name: str):
    if name.startswith("__") or find_spec(f"{package}.{name}") is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return import_module(f".{name}", package)
