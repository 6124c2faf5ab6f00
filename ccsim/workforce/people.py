"""People between periods: true abilities that change (learning, training, coaching), hiring
into pre-allocated slots, QA monitoring, and what they cost.

``Abilities`` holds each agent's true abilities as the engines read them (conversion,
handle-time factors, after-call-work factor) and those the policies read (QA fatal and
non-fatal error rates, tenure); ``run_periods`` writes the changed agents into the run
(``PausedRun.set_ability``) before the next period, on either engine alike.

Hiring needs agents the engines already know: ``with_slots`` adds inactive members to groups of a
scenario at compile time (a population's count, or its shifts' agents, grown); they leave before
the run starts and join when hired (``PausedRun.rejoin``), then follow their group's schedule.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ..scenario import limits as L
from .errors import WorkforceError

DAY = 86400.0
MAX_DAYS = L.MAX_SECONDS / DAY  # a duration in days (L.MAX_SECONDS)


@dataclass
class Abilities:
    """Each agent's true abilities (arrays indexed by agent, written in place)."""

    conversion: np.ndarray      # [A] NaN = none (the call type's)
    factor: np.ndarray          # [A, K] handle-time factors (empty without per-agent factors)
    acw: np.ndarray             # [A]
    qa_fatal: np.ndarray        # [A] per scored call, NaN = unknown (never an error)
    qa_nonfatal: np.ndarray     # [A]
    tenure_days: np.ndarray     # [A]

    @classmethod
    def of(cls, model) -> "Abilities":
        """The model's roster abilities (copies)."""
        A = model.n_agents

        def column(values, fill=np.nan):
            v = np.array(values, dtype=np.float64)
            return v if len(v) == A else np.full(A, fill)

        per_agent = model.has_agent_factors
        return cls(conversion=column(model.agent_conversion),
                   factor=np.array(model.agent_factor, dtype=np.float64) if per_agent else np.zeros((A, 0)),
                   acw=np.array(model.agent_acw_factor, dtype=np.float64) if per_agent else np.ones(A),
                   qa_fatal=column(model.agent_qa_fatal), qa_nonfatal=column(model.agent_qa_nonfatal),
                   tenure_days=column(model.agent_tenure, 0.0))

    def push(self, run, agents, has_funnel: bool) -> None:
        """Write agents ``agents``' abilities into the paused ``run`` (both engines alike)."""
        per_agent = self.factor.shape[1] > 0
        for a in sorted(set(int(a) for a in agents)):
            run.set_ability(a, factor_row=self.factor[a] if per_agent else None,
                            acw=self.acw[a] if per_agent else None,
                            conversion=self.conversion[a] if has_funnel else None)


def with_slots(scenario: dict, slots: dict) -> tuple[dict, dict]:
    """(a copy of ``scenario`` with ``slots[group]`` more agents in each group named, {group:
    number of slots}). A population grows its ``count``; a group with ``count:`` too; shifts
    with ``agents:`` counts get the slots dealt round-robin. The slots are the group's last
    agents (``slot_agents``). Members given by name cannot grow (add them by name)."""
    out = copy.deepcopy(scenario)
    groups = {g.get("name"): g for g in out.get("agents", [])}
    for name, n in slots.items():
        path = f"workforce.slots.{name}"
        if name not in groups:
            raise WorkforceError(path, f"unknown agent group {name!r}: expected one of {', '.join(groups)}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise WorkforceError(path, f"expected a whole number >= 0, found {n!r}")
        g = groups[name]
        if "population" in g:
            g["population"]["count"] += n
        elif "count" in g:
            g["count"] += n
        else:
            raise WorkforceError(path, "a group of named members cannot have slots: add the hires as members")
        counted = [s for s in g.get("shifts") or [] if isinstance(s, dict) and "agents" in s]
        for i in range(n if counted else 0):
            counted[i % len(counted)]["agents"] += 1
    return out, dict(slots)


def slot_agents(model, slots: dict) -> np.ndarray:
    """The agents that are slots: the last ``slots[g]`` agents of each group g."""
    names = list(model.group_names)
    out = []
    for name, n in slots.items():
        g = names.index(name)
        end = int(model.group_start[g]) + int(model.group_count[g])
        out.extend(range(end - n, end))
    return np.array(sorted(out), dtype=np.int64)


def draw(spec, rng: np.random.Generator, path: str, low=0.0, high=1.0) -> float:
    """One value of ``spec``: a number, or {dist: constant|uniform|beta|lognormal, ...}."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        value = float(spec)
    elif isinstance(spec, dict) and spec.get("dist") == "beta":
        m, sd = spec["mean"], spec["sd"]
        total = m * (1 - m) / sd ** 2 - 1
        value = float(rng.beta(m * total, (1 - m) * total))
    elif isinstance(spec, dict) and spec.get("dist") == "uniform":
        value = float(rng.uniform(spec["low"], spec["high"]))
    elif isinstance(spec, dict) and spec.get("dist") == "lognormal":
        s2 = math.log1p(spec["cv"] ** 2)
        value = float(rng.lognormal(math.log(spec["mean"]) - s2 / 2, math.sqrt(s2)))
    else:
        raise WorkforceError(path, f"expected a number or a beta, uniform or lognormal draw, found {spec!r}")
    return min(max(value, low), high)


def check_draw(spec, path: str, low=0.0, high=1.0):
    """``spec`` if it is a valid draw whose values fall in [low, high] (means, bounds)."""
    if spec is None:
        return None
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        if not low <= spec <= high:
            raise WorkforceError(path, f"expected a number in [{low:g}, {high:g}], found {spec!r}")
        return spec
    if not isinstance(spec, dict) or spec.get("dist") not in ("beta", "uniform", "lognormal"):
        raise WorkforceError(path, f"expected a number or a beta, uniform or lognormal draw, found {spec!r}")
    need = {"beta": ("mean", "sd"), "uniform": ("low", "high"), "lognormal": ("mean", "cv")}[spec["dist"]]
    for key in need:
        v = spec.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= L.MAX_AMOUNT:
            raise WorkforceError(f"{path}.{key}", f"expected a number from 0 to {L.MAX_AMOUNT:g}, found {v!r}")
    m = spec.get("mean")
    if spec["dist"] == "beta" and not (0 < m < 1 and 0 < spec["sd"] ** 2 < m * (1 - m)):
        raise WorkforceError(path, "a beta needs 0 < mean < 1 and 0 < sd^2 < mean (1 - mean)")
    return spec
