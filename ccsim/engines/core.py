"""The Cython core behind the engine interface (the only module importing ``_core``)."""
from __future__ import annotations

from .. import _core, _funnel
from ..compile import CompiledModel, bit_generators
from .rows import folded
from ..results import (CALL_FIELDS, CALLER_FIELDS, CHANNEL_FIELDS, ENTRY_FIELDS, GROUP_FIELDS, INTERVAL_GROUP_FIELDS,
                       NODE_FIELDS, FUNNEL_DAY_FIELDS, FUNNEL_FIELDS, RawStats)

assert _core.CALL_FIELDS_COUNT == len(CALL_FIELDS), "core and results disagree on call fields"
assert _core.GROUP_FIELDS_COUNT == len(GROUP_FIELDS), "core and results disagree on group fields"
assert _core.INTERVAL_GROUP_FIELDS_COUNT == len(INTERVAL_GROUP_FIELDS)
assert _core.ENTRY_FIELDS_COUNT == len(ENTRY_FIELDS)
assert _core.NODE_FIELDS_COUNT == len(NODE_FIELDS)
assert _core.CALLER_FIELDS_COUNT == len(CALLER_FIELDS)
assert _core.CHANNEL_FIELDS_COUNT == len(CHANNEL_FIELDS)
assert _funnel.FUNNEL_FIELDS_COUNT == len(FUNNEL_FIELDS)
assert _funnel.FUNNEL_DAY_FIELDS_COUNT == len(FUNNEL_DAY_FIELDS)


def run(model: CompiledModel, seed, call_records: bool = False, router=None) -> RawStats:
    """Simulate one replication of ``model`` with the streams derived from ``seed`` (routing
    callers by ``router``, a ``ccsim.router.Router``, if given)."""
    return raw_stats(simulation(model, seed, call_records, router))


def simulation(model: CompiledModel, seed, call_records: bool = False, router=None):
    """The core's ``Simulation`` of one replication, not yet run (``run_until`` / ``run``)."""
    simulation = _core.Simulation(model, bit_generators(model, seed), call_records, router)
    if model.state is not None:  # a start state (ccsim.state): its durations drawn for this run
        from ..state.draws import start_draws

        simulation.inject(start_draws(model, seed))
    return simulation


def raw_stats(simulation) -> RawStats:
    """Finish ``simulation`` (``run``) and return its statistics as RawStats."""
    arrays = simulation.run()
    return RawStats(
        **folded(arrays, simulation.boundary),
        group_totals=arrays["group_totals"],
        interval_groups=arrays["interval_groups"],
        calls_simulated=int(simulation.calls_simulated),
        end_time=float(simulation.end_time),
        call_records=arrays.get("call_records"),
        node_totals=arrays["node_totals"],
        callers=arrays["callers"],
        airing_calls=arrays["airing_calls"],
        agent_totals=arrays["agent_totals"],
        agent_types=arrays["agent_types"],
        funnel_types=arrays.get("funnel_types"),
        funnel_channels=arrays.get("funnel_channels"),
        funnel_airings=arrays.get("funnel_airings"),
        funnel_agents=arrays.get("funnel_agents"),
        funnel_days=arrays.get("funnel_days"),
    )
