"""Costs: what running the center costs, so the money KPIs (``ccsim.money``) can judge it.

``costs:`` prices the resources a run uses; every amount is money (>= 0, in the scenario's
currency, the same as the media airings' ``spend``):

- ``agent_hour``: per logged-in (staffed) agent hour, every agent; ``by_group`` overrides it
  for the agents of a group (``{group: cost}``).
- ``telecom_minute``: per inbound line minute: the minutes callers spend in an IVR menu,
  waiting in a queue (answered or abandoned) and talking to an agent (``ccsim.money``
  says exactly which statistics these are).
- ``fulfilment_per_order`` and ``shipping_per_order``: per shipped order (the sales funnel).
- ``return_per_order``: per refused parcel (coming back to the warehouse).

Ad spend is not here: it is each airing's ``spend`` in ``media``.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from . import limits as L

Money = Annotated[float, Field(ge=0.0, le=L.MAX_AMOUNT, allow_inf_nan=False)]


class Costs(BaseModel):
    """Unit costs of the center's resources (all >= 0; absent = 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    agent_hour: Money = Field(default=0.0, description=(
        "cost of one logged-in (staffed) agent hour, every group (>= 0)"))
    by_group: dict[str, Money] = Field(default_factory=dict, max_length=L.MAX_GROUPS, description=(
        "agent group name -> its agents' cost per logged-in hour, instead of agent_hour"))
    by_team: dict[str, Money] = Field(default_factory=dict, max_length=L.MAX_AGENTS, description=(
        "team (组) name -> its agents' cost per logged-in hour, over by_group (a member's own "
        "cost_per_hour goes over both)"))
    telecom_minute: Money = Field(default=0.0, description=(
        "cost of one inbound line minute: time in an IVR menu, waiting in a queue and talking (>= 0)"))
    fulfilment_per_order: Money = Field(default=0.0, description="cost of picking and packing a shipped order")
    shipping_per_order: Money = Field(default=0.0, description="cost of delivering a shipped order")
    return_per_order: Money = Field(default=0.0, description="cost of a refused parcel coming back")

    def group_hour(self, group: str) -> float:
        """The cost of a logged-in hour of an agent of ``group``."""
        return float(self.by_group.get(group, self.agent_hour))


def check_costs(s) -> None:
    """Every group of ``costs.by_group`` is an agent group (called by ``Scenario``)."""
    if s.costs is None:
        return
    groups = {g.name for g in s.agents}
    teams = set()
    for g in s.agents:
        if g.members is not None:
            teams |= {m.team or g.name for m in g.members}
        elif g.population is not None and g.population.teams:
            teams |= set(g.population.teams)
        else:
            teams.add(g.name)
    for name in s.costs.by_team:
        if name not in teams:
            raise PydanticCustomError(
                "unknown_team", "costs.by_team names team '{name}', which no agent is in (teams: {known})",
                {"path": f"costs.by_team.{name}", "name": name, "known": ", ".join(sorted(teams))})
    for name in s.costs.by_group:
        if name not in groups:
            raise PydanticCustomError(
                "unknown_group", "costs.by_group names agent group '{name}', which is not defined "
                "(groups: {known})", {"path": f"costs.by_group.{name}", "name": name,
                                      "known": ", ".join(sorted(groups))})
