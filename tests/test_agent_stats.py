"""Per-agent statistics: each agent's answers, talk, after-call work, busy and staffed time.

The per-agent totals must add up to the per-group ones the engines keep separately (a call
counted under one agent is counted under that agent's group, clock time too), and the
per-(agent, call type) answer counts to the per-call-type ones; both engines agree bit for bit.
"""
import numpy as np
import pytest
from engine_checks import assert_same_run, run
from inbound_scenarios import EVERYTHING
from test_shifts import SHIFTS

from ccsim.compile import compile_scenario
from ccsim.results import AGENT_FIELDS, CALL_FIELDS, GROUP_FIELDS
from ccsim.scenario import validate_scenario

# agent field -> group field it adds up to
SUMS = {"answered": "answered", "talk": "talk", "busy": "busy", "staffed": "staffed"}


@pytest.mark.parametrize("scenario", [SHIFTS, EVERYTHING], ids=["shifts", "everything"])
@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_agents_add_up_to_their_groups(scenario, engine):
    stats = run(scenario, engine, seed=3, records=False)
    model = compile_scenario(validate_scenario(scenario))
    group_of = model.agent_group
    assert stats.agent_totals.shape == (model.n_agents, len(AGENT_FIELDS))
    for agent_field, group_field in SUMS.items():
        per_group = np.bincount(group_of, weights=stats.agent_totals[:, AGENT_FIELDS.index(agent_field)],
                                minlength=model.n_groups)
        np.testing.assert_allclose(per_group, stats.group_totals[:, GROUP_FIELDS.index(group_field)],
                                   rtol=1e-9, atol=1e-6, err_msg=agent_field)
    handle = stats.agent_totals[:, AGENT_FIELDS.index("talk")] + stats.agent_totals[:, AGENT_FIELDS.index("acw")]
    np.testing.assert_allclose(np.bincount(group_of, weights=handle, minlength=model.n_groups),
                               stats.group_totals[:, GROUP_FIELDS.index("handle")], rtol=1e-9)
    # answers per call type: the agents' per-type counts are the type's answered calls
    np.testing.assert_array_equal(stats.agent_types.sum(axis=0),
                                  stats.total_calls[:, CALL_FIELDS.index("answered")])
    busy = stats.agent_totals[:, AGENT_FIELDS.index("busy")]
    staffed = stats.agent_totals[:, AGENT_FIELDS.index("staffed")]
    assert stats.agent_totals[:, AGENT_FIELDS.index("answered")].sum() > 20
    # nobody is busy longer than logged in, nor logged in longer than the run after the warm-up
    assert np.all(busy <= staffed + 1e-6)
    assert np.all(staffed <= model.horizon - model.warmup + 1e-6)


def test_agent_records_name_the_agents_counted():
    """Each answered record's agent is the agent whose per-type count it raises."""
    stats = run(SHIFTS, "core", seed=5, records=True)
    model = compile_scenario(validate_scenario(SHIFTS))
    rec = stats.call_records
    kept = (rec["outcome"] == 0) & (rec["arrival"] >= model.warmup) & (rec["attempt"] >= 1)
    counts = np.zeros_like(stats.agent_types)
    np.add.at(counts, (rec["agent"][kept], rec["call_type"][kept]), 1.0)
    np.testing.assert_array_equal(counts, stats.agent_types)


@pytest.mark.parametrize("scenario", [SHIFTS, EVERYTHING], ids=["shifts", "everything"])
def test_agent_stats_identical_in_both_engines(scenario):
    assert_same_run(run(scenario, "core", seed=11), run(scenario, "simpy", seed=11))
