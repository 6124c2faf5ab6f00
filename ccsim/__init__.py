"""ccsim: a contact-center simulator with a Cython core and a SimPy reference engine.

The public names below are imported on first use (PEP 562): ``import ccsim``
and the ``ccsim`` command's start-up load no numpy, pydantic or scenario schema
until something needs them (``ccsim --help`` needs none of them).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import _lazy

__version__ = "0.1.0"

# public name -> the submodule it is imported from
_EXPORTS = {
    "ArgumentError": "api", "as_scenario": "api", "replicate": "api", "replication_seed": "api",
    "replication_seeds": "api", "simulate": "api",
    "Result": "results", "summarize": "results",
    "Router": "router", "RouterError": "router",
    "Scenario": "scenario", "ScenarioError": "scenario", "load_scenario": "scenario",
}

__all__ = [
    "Router",
    "RouterError",
    "ArgumentError", "Result", "Scenario", "ScenarioError", "as_scenario", "load_scenario", "replicate",
    "replication_seed", "replication_seeds", "simulate", "summarize", "__version__",
]

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .api import ArgumentError, as_scenario, replicate, replication_seed, replication_seeds, simulate
    from .results import Result, summarize
    from .router import Router, RouterError
    from .scenario import Scenario, ScenarioError, load_scenario


__getattr__, __dir__ = _lazy.lazy_exports(__name__, _EXPORTS, globals())
