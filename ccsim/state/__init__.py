"""Start a run from a state of the center (``ccsim run --from-state``): callers waiting, agents busy
or away at a clock time; the run simulates from there to the horizon.

``schema`` reads the state file, ``start`` checks it against a scenario and attaches it to the
compiled model, ``residual`` draws the conditioned remaining times, ``draws`` the durations of one
run, and ``from_log`` takes a state from a call log at a timestamp.
"""
from .schema import State, load_state, parse_state
from .start import StartState, with_state

__all__ = ["StartState", "State", "load_state", "parse_state", "with_state"]
