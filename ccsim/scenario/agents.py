"""Agents as individuals: an agent group's explicit ``members`` or a ``population`` to draw from.

An agent group gives its agents in one of three ways (exactly one):

- ``count``: that many identical agents (ids ``<group>-1`` .. ``<group>-N``, team = the group,
  no squad);
- ``members``: a list of agents, each with an ``id`` (unique in the scenario), ``team`` (组,
  absent = the group's name), ``squad`` (队, absent = none; a squad belongs to one team and has
  at most one ``leader``), ``tenure_days``, ``skills`` (call type -> handle-time factor, absent
  types 1.0; only types the group serves), ``acw_factor``, ``conversion``, ``qa_fatal``,
  ``qa_nonfatal`` (fractions, absent = unknown) and its own ``shifts`` (overriding the group's);
- ``population``: ``count`` agents drawn from distributions (``Draw``), dealt to ``teams``
  round-robin, each team cut into squads of ``squad_size`` whose first agent leads.

The handle-time factor of agent a for call type k is the group's ``proficiency`` times the
group's ``skills`` for k (call type -> factor, absent types 1.0) times the member's skill for k
(or the drawn ``proficiency``), one float64 product computed in compile. Each factor lies in
[PROFICIENCY_MIN, PROFICIENCY_MAX].

The roster is drawn when the scenario is compiled, from one stream per group keyed by the
scenario's ``roster_seed`` and the group's name: it is part of the scenario, the same for
every replication, every ``--seed`` and every policy compared; change ``roster_seed`` to draw
another roster. The draws, in this order, one vector of ``count`` each: proficiency,
acw_factor, conversion, qa_fatal, qa_nonfatal, tenure_days (a constant or absent one draws
nothing). Lognormal and gamma draws of a factor are clipped to [PROFICIENCY_MIN,
PROFICIENCY_MAX] (a draw outside needs a cv far beyond any real center's); a distribution
that can draw a value outside an attribute's range otherwise (``normal``; a ``uniform``
reaching below it; a lognormal fraction) is refused.

``check_agents`` raises the field-path errors of the rules that tie fields together.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Optional, Union

import numpy as np
from pydantic import BeforeValidator, Field

from . import limits as L
from .hours import _err, _Model
from .shifts import Shift

Label = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, description=(
    f"any text of 1 to {L.MAX_NAME} characters"))]
Factor = Annotated[float, Field(ge=L.PROFICIENCY_MIN, le=L.PROFICIENCY_MAX, allow_inf_nan=False, description=(
    f"multiplies the time (0.8 = 20 % faster); from {L.PROFICIENCY_MIN:g} to {L.PROFICIENCY_MAX:g}"))]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Days = Annotated[float, Field(ge=0.0, le=L.MAX_SECONDS / L.DAY, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, le=L.MAX_SECONDS, allow_inf_nan=False)]
Cv = Annotated[float, Field(ge=L.CV_MIN, le=L.CV_MAX, allow_inf_nan=False)]
Number = Annotated[float, Field(ge=-L.MAX_SECONDS, le=L.MAX_SECONDS, allow_inf_nan=False)]
# numpy's integers (a count from np.arange in a sweep) are whole numbers too (as schema.WholeNumber)
WholeNumber = BeforeValidator(lambda v: int(v) if isinstance(v, np.integer) else v)


class ConstantDraw(_Model):
    """Every agent gets ``value``."""

    dist: Literal["constant"]
    value: Number


class UniformDraw(_Model):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: Number
    high: Number


class LognormalDraw(_Model):
    """Lognormal of the given mean and coefficient of variation (std / mean)."""

    dist: Literal["lognormal"]
    mean: Positive
    cv: Cv


class GammaDraw(_Model):
    """Gamma of the given mean and coefficient of variation (std / mean)."""

    dist: Literal["gamma"]
    mean: Positive
    cv: Cv


class BetaDraw(_Model):
    """Beta on [0, 1] of the given mean and standard deviation (sd^2 < mean (1 - mean); sd at least
    ``CV_MIN``, below which sd^2 underflows: use ``constant`` for no spread)."""

    dist: Literal["beta"]
    mean: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)]
    sd: Annotated[float, Field(ge=L.CV_MIN, lt=0.5, allow_inf_nan=False)]


class NormalDraw(_Model):
    """Normal of the given mean and sd: refused for every attribute (it can draw a negative factor,
    a negative tenure or a fraction outside [0, 1]); named so that the refusal says what to use."""

    dist: Literal["normal"]
    mean: Number
    sd: Annotated[float, Field(ge=0.0, le=L.MAX_SECONDS, allow_inf_nan=False)]


Draw = Annotated[Union[ConstantDraw, UniformDraw, LognormalDraw, GammaDraw, BetaDraw, NormalDraw],
                 Field(discriminator="dist")]

# What each population attribute may hold: its range, and the distributions that stay inside it.
KINDS = {
    "factor": ((L.PROFICIENCY_MIN, L.PROFICIENCY_MAX), ("constant", "uniform", "lognormal", "gamma"),
               "use lognormal or gamma (mean, cv), or uniform within the range"),
    "fraction": ((0.0, 1.0), ("constant", "uniform", "beta"), "use beta (mean, sd) or uniform within [0, 1]"),
    "days": ((0.0, L.MAX_SECONDS / L.DAY), ("constant", "uniform", "lognormal", "gamma"),
             "use lognormal or gamma (mean, cv), or uniform with low >= 0"),
}
# Population attributes in draw order: (field, kind).
DRAWN = (("proficiency", "factor"), ("acw_factor", "factor"), ("conversion", "fraction"),
         ("qa_fatal", "fraction"), ("qa_nonfatal", "fraction"), ("tenure_days", "days"))


class Member(_Model):
    """One agent of a group, by name."""

    id: Label = Field(description="the agent's id, unique in the scenario")
    team: Optional[Label] = Field(default=None, description="team (组); absent = the group's name")
    squad: Optional[Label] = Field(default=None, description="squad (队) within the team; absent = none")
    leader: bool = Field(default=False, description="leads its squad (at most one leader per squad)")
    tenure_days: Days = Field(default=0.0, description="days since hired")
    skills: dict[str, Factor] = Field(default_factory=dict, max_length=L.MAX_CALL_TYPES, description=(
        "call type -> handle-time factor for this agent (types the group serves; absent = 1.0)"))
    acw_factor: Factor = Field(default=1.0, description="multiplies after-call work")
    skill_priorities: dict[str, Annotated[int, Field(ge=1, le=99)]] = Field(
        default_factory=dict, max_length=L.MAX_CALL_TYPES, description=(
            "call type -> this agent's priority for it, 1 = taken first (routing.queue_selection: "
            "skill_priority), over the group's routing.skill_priorities; types the group serves"))
    conversion: Optional[Fraction] = Field(default=None, description="probability of a sale on a sales call")
    cost_per_hour: Optional[Annotated[float, Field(ge=0.0, le=L.MAX_AMOUNT, allow_inf_nan=False)]] = Field(
        default=None, description="this agent's cost per logged-in hour (costs:), over its team's and group's")
    qa_fatal: Optional[Fraction] = Field(default=None, description="fatal QA errors per scored call")
    qa_nonfatal: Optional[Fraction] = Field(default=None, description="non-fatal QA errors per scored call")
    shifts: Optional[list[Shift]] = Field(default=None, max_length=L.MAX_LIST_VALUES, description=(
        "this agent's own shifts (on duty in any of them; no 'agents' count), overriding the group's"))


class Population(_Model):
    """Agents drawn from distributions (one stream per group: see ``roster_seed``)."""

    count: Annotated[int, Field(ge=1, le=L.MAX_AGENTS), WholeNumber] = Field(description="agents drawn")
    proficiency: Draw = Field(default=ConstantDraw(dist="constant", value=1.0), description=(
        "handle-time factor of each agent (times the group's proficiency)"))
    acw_factor: Draw = Field(default=ConstantDraw(dist="constant", value=1.0), description=(
        "after-call-work factor of each agent"))
    conversion: Optional[Draw] = Field(default=None, description="sales conversion (0..1); absent = unknown")
    qa_fatal: Optional[Draw] = Field(default=None, description="fatal QA error rate (0..1); absent = unknown")
    qa_nonfatal: Optional[Draw] = Field(default=None, description="non-fatal QA error rate (0..1)")
    tenure_days: Optional[Draw] = Field(default=None, description="days since hired; absent = 0")
    teams: Optional[list[Label]] = Field(default=None, min_length=1, max_length=L.MAX_AGENTS, description=(
        "team names the agents are dealt to round-robin; absent = one team, the group's name"))
    squad_size: Optional[Annotated[int, Field(ge=1, le=L.MAX_AGENTS), WholeNumber]] = Field(default=None, description=(
        "each team cut into squads of this many, in dealing order, the first of each the leader; "
        "absent = no squads"))


def check_agents(s) -> None:
    """Each group gives its agents one way; skills, proficiency and shifts fit the group; the
    population's distributions stay in range; ids unique; squads in one team with one leader."""
    for i, group in enumerate(s.agents):
        where = f"agents[{i}]"
        given = [key for key in ("count", "members", "population") if getattr(group, key) is not None]
        if len(given) != 1:
            raise _err("agents", f"give exactly one of count, members and population (found "
                                 f"{' and '.join(given) or 'none'})", f"{where}.{given[-1] if given else 'count'}")
        _check_types(group.skills, group, f"{where}.skills")
        for j, member in enumerate(group.members or ()):
            _check_types(member.skills, group, f"{where}.members[{j}].skills")
            _check_types(member.skill_priorities, group, f"{where}.members[{j}].skill_priorities")
            for k, shift in enumerate(member.shifts or ()):
                if shift.agents is not None:
                    raise _err("agents", "a member works each of its own shifts: 'agents' is for a group's "
                                         "shifts", f"{where}.members[{j}].shifts[{k}].agents")
            if member.leader and member.squad is None:
                raise _err("agents", "a leader leads a squad: give the member's squad",
                           f"{where}.members[{j}].leader")
        if group.population is not None:
            _check_population(group.population, f"{where}.population")
    _check_hierarchy(s)


def _check_types(mapping: dict, group, path: str) -> None:
    for name in mapping:
        if name not in group.serves:
            raise _err("agents", f"'{name}' is not a call type group '{group.name}' serves (serves: "
                                 f"{', '.join(group.serves)})", f"{path}.{name}")


def _check_population(p: Population, path: str) -> None:
    for name, kind in DRAWN:
        draw = getattr(p, name)
        if draw is not None:
            check_draw(draw, kind, f"{path}.{name}", name)
    if p.teams is not None:
        seen = {}
        for j, team in enumerate(p.teams):
            if team in seen:
                raise _err("agents", f"team '{team}' is listed twice (also at teams[{seen[team]}])",
                           f"{path}.teams[{j}]")
            seen[team] = j


def check_draw(draw, kind: str, path: str, name: str) -> None:
    """Refuse a distribution that can draw a value outside the attribute's range."""
    (low, high), allowed, advice = KINDS[kind]
    if draw.dist not in allowed:
        raise _err("agents", f"a {draw.dist} distribution can draw a {name} outside [{low:g}, {high:g}]: {advice}",
                   path)
    if draw.dist == "constant" and not low <= draw.value <= high:
        raise _err("agents", f"{name} {draw.value:g} is outside [{low:g}, {high:g}]", f"{path}.value")
    if draw.dist == "uniform":
        if draw.high < draw.low:
            raise _err("agents", f"high ({draw.high:g}) must be at least low ({draw.low:g})", f"{path}.high")
        if draw.low < low or draw.high > high:
            raise _err("agents", f"a uniform on [{draw.low:g}, {draw.high:g}] can draw a {name} outside "
                                 f"[{low:g}, {high:g}]: {advice}", path)
    if draw.dist == "beta" and draw.sd ** 2 >= draw.mean * (1.0 - draw.mean):
        raise _err("agents", f"a beta of mean {draw.mean:g} has sd below {math.sqrt(draw.mean * (1 - draw.mean)):g}"
                             f" (sd^2 < mean (1 - mean)); found {draw.sd:g}", f"{path}.sd")


def group_ids(group) -> list[str]:
    """The ids of a group's agents, in agent order."""
    if group.members is not None:
        return [m.id for m in group.members]
    return [f"{group.name}-{n}" for n in range(1, group.size + 1)]


def population_teams(group) -> tuple[list[str], list[str], list[bool]]:
    """(team, squad, leader) of each agent of a population group: dealt to the teams round-robin;
    within a team, the j-th agent dealt is in squad j // squad_size, the leader if first."""
    p = group.population
    teams = p.teams or [group.name]
    team, squad, leader = [], [], []
    for i in range(p.count):
        name, j = teams[i % len(teams)], i // len(teams)
        team.append(name)
        if p.squad_size is None:
            squad.append("")
            leader.append(False)
        else:
            prefix = f"{group.name}.{name}" if p.teams else group.name
            squad.append(f"{prefix}.{j // p.squad_size + 1}")
            leader.append(j % p.squad_size == 0)
    return team, squad, leader


def group_hierarchy(group) -> tuple[list[str], list[str], list[bool]]:
    """(team, squad, leader) of each agent of a group, in agent order ("" = no squad)."""
    if group.members is not None:
        return ([m.team or group.name for m in group.members], [m.squad or "" for m in group.members],
                [m.leader for m in group.members])
    if group.population is not None:
        return population_teams(group)
    return [group.name] * group.size, [""] * group.size, [False] * group.size


def _check_hierarchy(s) -> None:
    """Ids unique in the scenario; a squad in one team, with at most one leader. Only members and
    squads are walked: the ids ccsim gives (``<group>-<n>``) are unique among themselves."""
    ids, squads, leaders = {}, {}, {}
    given = {g.name: g.size for g in s.agents if g.members is None}  # groups whose ids ccsim gives
    for i, group in enumerate(s.agents):
        if group.members is None and (group.population is None or group.population.squad_size is None):
            continue
        team, squad, leader = group_hierarchy(group)
        for j in range(group.size):
            if group.members is not None:
                where = f"agents[{i}].members[{j}]"
                _check_id(group.members[j].id, ids, given, f"{where}.id")
                ids[group.members[j].id] = where
            else:
                where = f"agents[{i}].population.squad_size"
            if not squad[j]:
                continue
            if squads.setdefault(squad[j], team[j]) != team[j]:
                raise _err("agents", f"squad '{squad[j]}' is in team '{team[j]}' here and in team "
                                     f"'{squads[squad[j]]}' elsewhere: a squad belongs to one team",
                           f"{where}.squad" if group.members is not None else where)
            if leader[j]:
                if squad[j] in leaders:
                    raise _err("agents", f"squad '{squad[j]}' has two leaders (also {leaders[squad[j]]})",
                               f"{where}.leader" if group.members is not None else where)
                leaders[squad[j]] = where


def _check_id(agent_id: str, ids: dict, given: dict, path: str) -> None:
    """A member's id is neither another member's nor one ccsim gives a group's agent."""
    if agent_id in ids:
        raise _err("agents", f"agent id '{agent_id}' is used twice (also {ids[agent_id]})", path)
    group, _, number = agent_id.rpartition("-")
    if group in given and number.isdigit() and str(int(number)) == number and 1 <= int(number) <= given[group]:
        raise _err("agents", f"agent id '{agent_id}' is used twice: it is also agent {number} of group '{group}' "
                             "(a group without members names its agents <group>-1, <group>-2, ...)", path)


def draw_population(group, seed: np.random.SeedSequence) -> dict:
    """{attribute: float64 [count]} of a population group, from its one stream ``seed``, in
    ``DRAWN`` order; absent attributes are left out."""
    p = group.population
    rng = np.random.Generator(np.random.PCG64(seed))
    out = {}
    for name, kind in DRAWN:
        draw = getattr(p, name)
        if draw is not None:
            out[name] = sample(draw, kind, rng, p.count)
    return out


def sample(draw, kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` values of ``draw`` (an allowed distribution of its kind); factors clipped to range."""
    if draw.dist == "constant":
        return np.full(n, float(draw.value))
    if draw.dist == "uniform":
        values = rng.uniform(draw.low, draw.high, n)
    elif draw.dist == "lognormal":
        sigma2 = math.log1p(draw.cv ** 2)
        values = rng.lognormal(math.log(draw.mean) - sigma2 / 2.0, math.sqrt(sigma2), n)
    elif draw.dist == "gamma":
        values = rng.gamma(1.0 / draw.cv ** 2, draw.mean * draw.cv ** 2, n)
    else:  # beta (the checks admit nothing else)
        total = draw.mean * (1.0 - draw.mean) / draw.sd ** 2 - 1.0
        values = rng.beta(draw.mean * total, (1.0 - draw.mean) * total, n)
    low, high = KINDS[kind][0]
    return np.clip(values, low, high)
