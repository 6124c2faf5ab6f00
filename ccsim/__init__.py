"""ccsim: a contact-center simulator with a Cython core and a SimPy reference engine."""
from .api import ArgumentError, as_scenario, replicate, replication_seed, replication_seeds, simulate
from .results import Result, summarize
from .router import Router, RouterError
from .scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Router",
    "RouterError",
    "ArgumentError", "Result", "Scenario", "ScenarioError", "as_scenario", "load_scenario", "replicate",
    "replication_seed", "replication_seeds", "simulate", "summarize", "__version__",
]
