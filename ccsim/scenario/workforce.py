"""The scenario's ``workforce:`` section: a run in periods with policies between them.

``ccsim workforce scenario.yaml`` runs it (``ccsim.workforce.run_periods``). The policies are
a list of mappings with a ``kind``, each a pydantic model (``workforce_policies``): a bad option
is refused when the scenario is read, with its field path (``workforce.policies[1].fraction``).
Groups named by ``slots``, by a hiring ``target`` and by a
policy's ``groups`` must be agent groups of the scenario (checked by ``Scenario``).
"""
from __future__ import annotations

import math

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

from . import limits as L
from .distributions import PositiveSeconds
from .workforce_policies import PolicyList, build

Slots = Annotated[int, Field(ge=0, le=L.MAX_AGENTS, strict=True)]  # (agents and slots together: checked as the run is built)


class Workforce(BaseModel):
    """Periods, the policies applied after each, and the hiring slots."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    period: Optional[PositiveSeconds] = Field(default=None, description=(
        "length of one period (seconds, > 0); the last period ends at the horizon; or give periods"))
    periods: Optional[Annotated[int, Field(ge=1, le=L.MAX_WORKFORCE_PERIODS)]] = Field(default=None, description=(
        "the horizon cut into this many equal periods, instead of period"))
    policies: PolicyList = Field(default=[], max_length=100, description=(
        "policies applied in order after each period but the last, each a mapping with a kind "
        "(bottom_elimination, threshold_elimination, promotion, attrition, learning, fatigue, training, qa, "
        "hiring) and its options"))
    slots: dict[str, Slots] = Field(default={}, max_length=L.MAX_GROUPS, description=(
        "agent group name -> inactive agents added to it for hiring (a hiring policy fills them)"))

    @model_validator(mode="after")
    def _check(self):
        if (self.period is None) == (self.periods is None):
            raise PydanticCustomError("workforce", "give exactly one of period (seconds) and periods (a count)",
                                      {"path": "workforce"})
        return self

    def build_policies(self) -> list:
        """Fresh policy objects (one set per replication: some keep state over a run), from the
        entries pydantic checked (their constructors' own checks are for Python users)."""
        return [build(p, i) for i, p in enumerate(self.policies)]

    def period_seconds(self, horizon: float) -> float:
        """The period's length in seconds."""
        return float(self.period) if self.period is not None else horizon / self.periods

    def groups_named(self) -> list:
        """[(field path, group name)]: the groups the slots and the policies' ``groups`` name."""
        out = [(f"workforce.slots.{name}", name) for name in self.slots]
        for i, policy in enumerate(self.policies):
            out.extend((f"workforce.policies[{i}].groups[{j}]", g) for j, g in enumerate(getattr(policy, "groups", None)
                                                                                       or ()))
            out.extend((f"workforce.policies[{i}].target.{g}", g) for g in getattr(policy, "target", None) or {})
        return out


def check_workforce(s) -> None:
    """The workforce section against the rest of the scenario: the groups it names exist, a
    ranking on conversion or revenue has a funnel, a ranking on qa_score has a qa policy before it."""
    w = s.workforce
    if w is None:
        return
    known = [g.name for g in s.agents]
    for path, name in w.groups_named():
        if name not in known:
            raise PydanticCustomError("workforce", "unknown agent group '{name}' (groups: {known})",
                                      {"path": path, "name": name, "known": ", ".join(known)})
    n = math.ceil(s.horizon / w.period) if w.period is not None else 0
    if n > L.MAX_WORKFORCE_PERIODS:  # (pydantic fills {name} only: the figures are formatted here)
        raise PydanticCustomError("workforce", f"a period of {w.period:g} s cuts the horizon ({s.horizon:g} s) into "
                                  f"{n:,} periods, more than the limit of {L.MAX_WORKFORCE_PERIODS:,}; use a longer "
                                  "period", {"path": "workforce.period"})
    kinds = [p.kind for p in w.policies]
    for i, policy in enumerate(w.policies):
        kpi = getattr(policy, "kpi", None)
        if kpi in ("conversion", "revenue") and s.funnel is None:
            raise PydanticCustomError("workforce", "KPI '{kpi}' needs the scenario's funnel (or rank on aht, "
                                      "answered_per_hour or qa_score)",
                                      {"path": f"workforce.policies[{i}].kpi", "kpi": kpi})
        if kpi == "qa_score" and "qa" not in kinds[:i]:
            raise PydanticCustomError("workforce", "KPI 'qa_score' needs a qa policy listed before this one",
                                      {"path": f"workforce.policies[{i}].kpi"})
