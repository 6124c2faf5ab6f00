"""ccsim: a contact-center simulator with a Cython core and a SimPy reference engine."""
from .api import as_scenario, replicate, replication_seeds, simulate
from .results import Result, summarize
from .scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Result", "Scenario", "ScenarioError", "as_scenario", "load_scenario", "replicate",
    "replication_seeds", "simulate", "summarize", "__version__",
]
