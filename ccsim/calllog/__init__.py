"""Call logs (CDRs) to scenarios: read a log through a column mapping, estimate its model.

``read_log(path, mapping)`` reads an ACD log into a ``CallLog`` (one row per kept call,
the excluded rows with their reasons); ``fit_log(log)`` estimates arrival rates,
handle-time, patience and IVR distributions and the staffing present, each with its
uncertainty; ``FitResult.scenario()`` turns that into a ccsim scenario. ``ccsim fit`` is
the command line.
"""
from __future__ import annotations

from .mapping import Mapping, MappingError, load_mapping
from .reader import CallLog, LogError, read_log

__all__ = ["CallLog", "LogError", "Mapping", "MappingError", "load_mapping", "read_log"]
