"""The roster as ``CompiledModel`` fields: who each agent is and how fast (``scenario/agents.py``).

Agents are numbered group by group in the compiled (name) order of the groups, members in file
order within a group. A scenario whose groups all give identical agents (``count``, no group
``skills``) compiles to no roster at all (the defaults of ``CompiledModel``), so its runs are
those of before rosters existed.

A population group's draws come from one stream of its own: ``roster_stream(roster_seed,
group name)``, spawn key (the "roster" source, crc32 of the name) under ``roster_seed`` --
never the run's seed, so the roster is the same for every replication, run seed and policy.
"""
from __future__ import annotations

import numpy as np

from .scenario.agents import draw_population, group_hierarchy, group_ids


def roster_stream(roster_seed: int, group: str) -> np.random.SeedSequence:
    """The SeedSequence a population group's agents are drawn from."""
    from .compile import _keyed

    return _keyed(np.random.SeedSequence(roster_seed), "roster", group)


def roster_tables(scenario, groups: list, types: list) -> dict:
    """``agent_factor``, ``agent_acw_factor``, ``agent_ids`` ... ``agent_qa_nonfatal`` of the
    groups (in compiled order); {} when every group gives identical agents."""
    if all(g.identical() for g in groups):
        return {}
    factor, acw, ids, team, squad, leader = [], [], [], [], [], []
    tenure, conversion, fatal, nonfatal, cost = [], [], [], [], []
    for group in groups:
        n = group.size
        base = np.array([group.type_factor(c.name) for c in types], dtype=np.float64)
        own = _own_factors(group, types, scenario.roster_seed)
        factor.append(base[None, :] * own["skills"])  # the group's factor x the agent's: float64, once
        acw.append(own["acw_factor"])
        ids += group_ids(group)
        t, s, lead = group_hierarchy(group)
        team += t
        squad += s
        leader += lead
        tenure.append(own["tenure_days"])
        conversion.append(own["conversion"])
        fatal.append(own["qa_fatal"])
        nonfatal.append(own["qa_nonfatal"])
        cost.append([np.nan if m.cost_per_hour is None else m.cost_per_hour for m in group.members]
                    if group.members is not None else np.full(n, np.nan))
        assert len(ids) == len(team) and all(len(x) == n for x in own.values())
    cat = lambda parts: np.concatenate(parts).astype(np.float64)  # noqa: E731
    return dict(agent_factor=np.ascontiguousarray(np.concatenate(factor, axis=0)), agent_acw_factor=cat(acw),
                agent_ids=tuple(ids), agent_team=tuple(team), agent_squad=tuple(squad),
                agent_leader=np.array(leader, dtype=np.int32), agent_tenure=cat(tenure),
                agent_conversion=cat(conversion), agent_qa_fatal=cat(fatal), agent_qa_nonfatal=cat(nonfatal),
                agent_cost_hour=cat([np.asarray(c, dtype=np.float64) for c in cost]))


def _own_factors(group, types: list, roster_seed: int) -> dict:
    """Each agent's own values (float64 [n], skills [n, K]): a member's, the population's draws,
    or the defaults of identical agents (factor 1, tenure 0, abilities NaN)."""
    n, k = group.size, len(types)
    out = {"skills": np.ones((n, k)), "acw_factor": np.ones(n), "tenure_days": np.zeros(n),
           "conversion": np.full(n, np.nan), "qa_fatal": np.full(n, np.nan), "qa_nonfatal": np.full(n, np.nan)}
    if group.members is not None:
        index = {c.name: j for j, c in enumerate(types)}
        for a, m in enumerate(group.members):
            for name, value in m.skills.items():
                out["skills"][a, index[name]] = value
            out["acw_factor"][a], out["tenure_days"][a] = m.acw_factor, m.tenure_days
            for key in ("conversion", "qa_fatal", "qa_nonfatal"):
                if getattr(m, key) is not None:
                    out[key][a] = getattr(m, key)
    elif group.population is not None:
        drawn = draw_population(group, roster_stream(roster_seed, group.name))
        for key, values in drawn.items():
            if key == "proficiency":
                out["skills"] = np.repeat(values[:, None], k, axis=1)
            else:
                out[key] = values
    return out
