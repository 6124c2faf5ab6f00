"""The sales funnel in the SimPy engine: twin of the core's ``_funnel.pxd``.

At an answer of a call type that sells, the caller (who drew one uniform, its propensity, at
its first ring from its source's ("propensity", name) stream) orders iff the propensity is
below p = base x type factor x channel factor x wait factor (capped at 1), base = the agent's
conversion ability, else the type's. The order's life is drawn at once from the type's
("order", name) stream, in this order:

1. the order value; 2. one uniform for the cross-sell (< its p) and, if sold, its value;
3. verification: the first attempt after its delay; per attempt one uniform (< confirm:
   verified; < confirm + cancel: cancelled by the customer; else not reached), and when not
   reached with attempts left, the retry delay (the next attempt only if it comes within the
   deadline, else cancelled unreached);
4. verified: the shipping delay; one uniform for the region (the first whose cumulative share
   exceeds it); the delivery delay; one uniform for sign-for (< sign_for of the channel x the
   region's factor, capped at 1); the settlement delay (signed) or the returns delay (refused).

Each order of a post-warm-up call is counted by the state it reached at the cut (horizon +
follow days) in ``results.FUNNEL_FIELDS`` rows, and its events before the cut in the days'
money flow (``results.FUNNEL_DAY_FIELDS``).
"""
from __future__ import annotations

import math

import numpy as np

from ..funnel_tables import STAGES, funnel_arrays, funnel_days
from ..results import FUNNEL_DAY_FIELDS, FUNNEL_FIELDS
from .sampling import draw

F = {name: i for i, name in enumerate(FUNNEL_FIELDS)}
D = {name: i for i, name in enumerate(FUNNEL_DAY_FIELDS)}
S = {name: i for i, name in enumerate(STAGES)}
VERIFIED, CANCELLED, UNREACHED = 0, 1, 2
DAY = 86400.0


class Order:
    """One order's life (seconds; inf = never happens)."""

    __slots__ = ("time", "value", "cross", "cross_value", "parcel", "attempts", "outcome", "decided",
                 "shipped", "delivered", "signed", "settled")

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}


class Funnel:
    """The compiled funnel of a model, its draws, and its statistic arrays."""

    def __init__(self, model, dists, empirical):
        a = funnel_arrays(model)
        self.dists, self.empirical = dists, empirical
        self.cut = float(model.fn_cut)
        self.sells = a["fn_sells"].tolist()
        self.conversion = a["fn_conversion"].tolist()
        self.type_factor = a["fn_type_factor"].tolist()
        self.talk_factor = a["fn_talk_factor"].tolist()
        self.value_dist = a["fn_value_dist"].tolist()
        self.cross_p = a["fn_cross_p"].tolist()
        self.cross_dist = a["fn_cross_dist"].tolist()
        self.channel_factor = a["fn_channel_factor"].tolist()
        self.wait = a["fn_wait"].tolist()
        self.wait_factor = a["fn_wait_factor"].tolist()
        self.agent_conversion = a["agent_conversion"].tolist()
        self.stage = a["fn_stage_dist"].tolist()
        self.confirm, self.cancel = float(model.fn_confirm), float(model.fn_cancel)
        self.max_attempts, self.deadline = int(model.fn_max_attempts), float(model.fn_deadline)
        self.sign = a["fn_sign"].tolist()
        self.region_cum = a["fn_region_cum"].tolist()
        self.region_factor = a["fn_region_factor"].tolist()
        nf = len(FUNNEL_FIELDS)
        self.types = np.zeros((model.n_types, nf))
        self.channels = np.zeros((model.n_channels + 1, nf))
        self.airings = np.zeros((model.n_airings, nf))
        self.agents = np.zeros((model.n_agents, nf))
        self.days = np.zeros((funnel_days(model), model.n_channels + 1, len(FUNNEL_DAY_FIELDS)))

    def stats(self) -> dict:
        """The RawStats funnel_* arrays."""
        return {"funnel_types": self.types, "funnel_channels": self.channels, "funnel_airings": self.airings,
                "funnel_agents": self.agents, "funnel_days": self.days}

    # ---- the order decision --------------------------------------------------------

    def wait_factor_at(self, wait):
        """The wait curve at ``wait`` seconds: linear between points, flat outside (1 without one)."""
        x, y = self.wait, self.wait_factor
        if not x:
            return 1.0
        if wait <= x[0]:
            return y[0]
        if wait >= x[-1]:
            return y[-1]
        j = 1
        while x[j] < wait:
            j += 1
        return y[j - 1] + (y[j] - y[j - 1]) * (wait - x[j - 1]) / (x[j] - x[j - 1])

    def probability(self, k, agent, channel, wait):
        """p = base x type factor x channel factor x wait factor, capped at 1."""
        p = self.agent_conversion[agent]
        if math.isnan(p):
            p = self.conversion[k]
        p = p * self.type_factor[k]
        if channel >= 0:
            p = p * self.channel_factor[channel]
        p = p * self.wait_factor_at(wait)
        return p if p < 1.0 else 1.0

    def sell(self, rng, who, k, agent, wait, now, counted):
        """A type-k call answered by ``agent``: (the order's value, or None without an order; the
        talk factor). Counts the sale and the order of a post-warm-up call."""
        if counted:
            self.count_sale(k, who.channel, who.airing, agent)
        if who.propensity >= self.probability(k, agent, who.channel, wait):
            return None, 1.0
        o = self.life(rng, k, who.channel, now)
        if counted:
            self.count_order(o, k, who.channel, who.airing, agent)
        return o.value, self.talk_factor[k]

    # ---- the order's life ------------------------------------------------------------

    def _draw(self, row, rng):
        return draw(self.dists, row, self.empirical, rng)

    def life(self, rng, k, channel, t0) -> Order:
        """Draw an order's whole life (the order in the module docstring)."""
        o = Order()
        o.time = t0
        o.value = self._draw(self.value_dist[k], rng)
        o.cross = int(rng.random() < self.cross_p[k])
        o.cross_value = self._draw(self.cross_dist[k], rng) if o.cross else 0.0
        o.parcel = o.value + o.cross_value
        o.shipped = o.delivered = o.settled = math.inf
        o.signed = 0
        o.attempts = 0
        t = t0 + self._draw(self.stage[S["verification"]], rng)
        made = 0
        while True:
            made += 1
            if t < self.cut:
                o.attempts = made
            u = rng.random()
            if u < self.confirm:
                o.outcome = VERIFIED
                break
            if u < self.confirm + self.cancel:
                o.outcome = CANCELLED
                break
            if made < self.max_attempts:
                nxt = t + self._draw(self.stage[S["retry"]], rng)
                if nxt <= t0 + self.deadline:
                    t = nxt
                    continue
            o.outcome = UNREACHED
            break
        o.decided = t
        if o.outcome != VERIFIED:
            return o
        o.shipped = t + self._draw(self.stage[S["shipping"]], rng)
        u, r = rng.random(), 0
        while r < len(self.region_cum) - 1 and u >= self.region_cum[r]:
            r += 1
        o.delivered = o.shipped + self._draw(self.stage[S["delivery"]], rng)
        p = self.sign[channel + 1] * self.region_factor[r]
        o.signed = int(rng.random() < (p if p < 1.0 else 1.0))
        o.settled = o.delivered + self._draw(self.stage[S["settlement"] if o.signed else S["returns"]], rng)
        return o

    # ---- counting ----------------------------------------------------------------------

    def count_sale(self, k, channel, airing, agent):
        """An answered post-warm-up call of a type that sells."""
        f = F["sales_answered"]
        self.types[k, f] += 1.0
        self.channels[channel + 1, f] += 1.0
        if airing >= 0:
            self.airings[airing, f] += 1.0
        self.agents[agent, f] += 1.0

    def add_order(self, row, o):
        """Count the order in a FUNNEL_FIELDS row by the state it reached at the cut."""
        cut = self.cut
        row[F["orders"]] += 1.0
        row[F["order_value"]] += o.value
        if o.cross:
            row[F["cross_sells"]] += 1.0
            row[F["cross_sell_value"]] += o.cross_value
        row[F["verification_attempts"]] += o.attempts
        if o.decided >= cut:
            row[F["pending_verification"]] += 1.0
        elif o.outcome == CANCELLED:
            row[F["cancelled_by_customer"]] += 1.0
        elif o.outcome == UNREACHED:
            row[F["cancelled_unreached"]] += 1.0
        else:
            row[F["verified"]] += 1.0
            self._add_delivery(row, o)

    def _add_delivery(self, row, o):
        cut = self.cut
        if o.shipped >= cut:
            row[F["awaiting_shipment"]] += 1.0
            return
        row[F["shipped"]] += 1.0
        row[F["shipped_value"]] += o.parcel
        if o.delivered >= cut:
            row[F["in_transit"]] += 1.0
        elif not o.signed:
            row[F["refused"]] += 1.0
            row[F["refused_value"]] += o.parcel
            if o.settled < cut:
                row[F["returned"]] += 1.0
        else:
            row[F["signed"]] += 1.0
            row[F["signed_value"]] += o.parcel
            if o.settled >= cut:
                row[F["awaiting_settlement"]] += 1.0
            else:
                row[F["collected"]] += 1.0
                row[F["collected_value"]] += o.parcel

    def add_day(self, channel, t, field, value):
        """Add to the money flow of the day of ``t`` (nothing at or past the cut)."""
        if t >= self.cut:
            return
        day = min(int(t / DAY), self.days.shape[0] - 1)  # t / 86400 may round up to the cut's day
        self.days[day, channel + 1, D[field]] += value

    def count_order(self, o, k, channel, airing, agent):
        """An order of a post-warm-up call: in its rows and the days' money flow."""
        self.add_order(self.types[k], o)
        self.add_order(self.channels[channel + 1], o)
        if airing >= 0:
            self.add_order(self.airings[airing], o)
        self.add_order(self.agents[agent], o)
        self.add_day(channel, o.time, "orders", 1.0)
        self.add_day(channel, o.time, "gross_value", o.parcel)
        if o.outcome != VERIFIED:
            self.add_day(channel, o.decided, "cancelled", 1.0)
            return
        self.add_day(channel, o.decided, "verified", 1.0)
        self.add_day(channel, o.shipped, "shipped", 1.0)
        self.add_day(channel, o.shipped, "shipped_value", o.parcel)
        if o.shipped < self.cut:
            self.add_day(channel, o.delivered, "signed" if o.signed else "refused", 1.0)
            if o.delivered < self.cut:
                self.add_day(channel, o.settled, "collected" if o.signed else "returned", 1.0)
                if o.signed:
                    self.add_day(channel, o.settled, "collected_value", o.parcel)
