"""Observed against simulated KPIs per hour of the day, for ``ccsim replay`` and ``ccsim validate-fit``.

Both sides are reduced to the same counts per (day, hour): offered (calls reaching the
queue), answered, answered within the service-level threshold T, the sum of answered waits,
abandoned, busy agent-seconds and staffed agent-seconds. A call belongs to the hour it
reached the queue. Pooled over the days compared, they give per hour of the day: service
level (answered within T / offered), ASA (mean wait of the answered), abandonment
(abandoned / offered) and occupancy (busy / staffed). In the log, busy time is the recorded
service times and staffed time the staffing estimate the model is given (``observed_hours``'s
``staffing``: by default the agents available, ``fit.agents_available``, which ``ccsim fit``
staffs the fitted model with and ``ccsim replay`` staffs the replay with), so both occupancies
divide by the same staffed time: the log's and the model's occupancy then differ only by the
busy time, i.e. by the calls served and their handle times. (Against the agents *seen* the
log's occupancy is lower than the model's in every hour whatever the model: an agent serving
one call in a slot counts as staffed for all of it in the log, for none of it in the model.)

A simulated KPI per hour is a value per replication: the comparison gives their mean with a
95 % t interval of the mean, and the 95 % interval of one replication's value (the 2.5 and
97.5 percentiles of the replications): the observed value is *inside* when it lies in the
latter (what one more history of the model would show), else the hour is flagged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..results import mean_halfwidth
from .reader import DAY
from .replay import log_staffing, queue_times, reached_queue

HOUR = 3600
HOURS = 24
COUNTS = ("offered", "answered", "within", "wait_sum", "abandoned", "busy", "staffed")
KPIS = ("service_level", "asa", "abandon_rate", "occupancy")


def observed_hours(log, threshold: float, slot: int, days=None, staffing=None) -> np.ndarray:
    """[days, 24, COUNTS] of the log (``days``: the day indexes kept, default all); ``staffing``
    [log days, slots]: agents on duty per slot, the staffed time (default: the agents available,
    ``replay.log_staffing``)."""
    days = np.arange(log.days) if days is None else np.asarray(days)
    out = np.zeros((log.days, HOURS, len(COUNTS)))
    calls = log.calls[reached_queue(log.calls)]
    day = calls["day"].to_numpy()
    hour = np.clip(((queue_times(calls) - day * DAY) // HOUR).astype(int), 0, HOURS - 1)
    served = (calls["outcome"] == "served").to_numpy()
    wait = np.nan_to_num(calls["wait"].to_numpy(dtype=float))
    cell = day * HOURS + hour
    size = log.days * HOURS
    for i, values in enumerate((np.ones(len(calls)), served, served & (wait <= threshold), np.where(served, wait, 0),
                                (calls["outcome"] == "abandoned").to_numpy())):
        out[:, :, i] = np.bincount(cell, weights=np.asarray(values, float), minlength=size).reshape(log.days, HOURS)
    out[:, :, COUNTS.index("busy")] = _busy_seconds(log.calls, log.days)
    if staffing is None:
        staffing = log_staffing(log, slot)
    staffed = np.asarray(staffing, dtype=float) * slot              # [days, slots] agent-seconds
    out[:, :, COUNTS.index("staffed")] = staffed.reshape(log.days, HOURS, -1).sum(axis=2) if slot <= HOUR \
        else np.repeat(staffed, slot // HOUR, axis=1) / (slot // HOUR)
    return out[days]


def _busy_seconds(calls, days: int) -> np.ndarray:
    """[days, 24] recorded service seconds inside each hour (a service may span hours)."""
    served = calls[(calls["outcome"] == "served") & calls["agent"].notna()]
    size = days * HOURS
    busy = np.zeros(size)
    if "service_start" not in served or not len(served):
        return busy.reshape(days, HOURS)
    start = served["service_start"].to_numpy(dtype=float)
    end = np.maximum(served["service_end"].to_numpy(dtype=float), start)
    first = (start // HOUR).astype(int)
    for k in range(int(((end // HOUR).astype(int) - first).max()) + 1):
        h = first + k
        overlap = np.minimum(end, (h + 1) * HOUR) - np.maximum(start, h * HOUR)
        keep = (overlap > 0) & (h < size)
        busy += np.bincount(h[keep], weights=overlap[keep], minlength=size)
    return busy.reshape(days, HOURS)


def simulated_hours(result, first_day: int = 0, days: int = 1) -> np.ndarray:
    """[days, 24, COUNTS] of one run, its days ``first_day`` .. ``first_day + days - 1``
    (calls after the last hour of a day, e.g. past midnight, join its hour 23)."""
    f = result.intervals()
    length = (f["end"] - f["start"]).to_numpy()
    offered, answered = f["offered"].to_numpy(), f["answered"].to_numpy()
    values = np.column_stack([offered, answered, np.nan_to_num(f["service_level"].to_numpy()) * offered,
                              np.nan_to_num(f["asa"].to_numpy()) * answered, f["abandoned"].to_numpy(),
                              f["busy_agents"].to_numpy() * length, f["staffed_agents"].to_numpy() * length])
    absolute = (f["start"].to_numpy() // HOUR).astype(int)
    day = absolute // HOURS - first_day
    hour = absolute % HOURS
    past = day >= days  # a drained run's last intervals: the last day's late hour
    hour = np.where(past, HOURS - 1, hour)
    day = np.where(past, days - 1, day)
    out = np.zeros((days, HOURS, len(COUNTS)))
    keep = day >= 0
    np.add.at(out, (day[keep], hour[keep]), values[keep])
    return out


def kpis(counts: np.ndarray) -> dict:
    """KPI name -> [..., 24] from counts [..., 24, COUNTS] (nan where undefined)."""
    c = {name: counts[..., i] for i, name in enumerate(COUNTS)}
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"service_level": np.where(c["offered"] > 0, c["within"] / c["offered"], np.nan),
                "asa": np.where(c["answered"] > 0, c["wait_sum"] / c["answered"], np.nan),
                "abandon_rate": np.where(c["offered"] > 0, c["abandoned"] / c["offered"], np.nan),
                "occupancy": np.where(c["staffed"] > 0, c["busy"] / c["staffed"], np.nan)}


@dataclass
class Comparison:
    """Per KPI and hour: observed, simulated mean with its 95 % CI, the 95 % interval of one
    replication, and whether the observed value lies inside it."""

    observed: dict          # kpi -> [24]
    mean: dict              # kpi -> [24]
    halfwidth: dict         # kpi -> [24] (t, of the mean)
    low: dict               # kpi -> [24] (2.5 % of the replications)
    high: dict              # kpi -> [24] (97.5 %)
    offered: np.ndarray     # [24] observed calls reaching the queue
    replications: int
    staffing: str = "agents available"  # the log's staffed time (the occupancy's denominator)

    def inside(self, kpi: str) -> np.ndarray:
        """[24] True / False where both sides are defined, else nan."""
        o, lo, hi = self.observed[kpi], self.low[kpi], self.high[kpi]
        defined = np.isfinite(o) & np.isfinite(lo) & np.isfinite(hi)
        return np.where(defined, (o >= lo) & (o <= hi), np.nan)

    def share_inside(self, kpi: str) -> tuple:
        """(hours inside, hours compared) for ``kpi``."""
        inside = self.inside(kpi)
        defined = np.isfinite(inside)
        return int(np.nansum(inside)), int(defined.sum())


def compare(observed: np.ndarray, simulated: np.ndarray, min_offered: int = 1,
            staffing: str = "agents available") -> Comparison:
    """``observed`` [days, 24, COUNTS], ``simulated`` [reps, days, 24, COUNTS]: pooled over days.
    Hours with fewer than ``min_offered`` observed calls are left out (nan). ``staffing`` names
    the log's staffed time (for the reports)."""
    obs_counts = observed.sum(axis=0)
    sim = kpis(simulated.sum(axis=1))
    obs = kpis(obs_counts)
    offered = obs_counts[:, COUNTS.index("offered")]
    quiet = offered < min_offered
    reps = simulated.shape[0]
    out = {k: {} for k in ("mean", "halfwidth", "low", "high")}
    for name in KPIS:
        values = sim[name]
        out["mean"][name], out["halfwidth"][name] = mean_halfwidth(values)
        out["low"][name] = _nanpercentile(values, 2.5)
        out["high"][name] = _nanpercentile(values, 97.5)
        obs[name] = np.where(quiet, np.nan, obs[name])
    return Comparison(obs, out["mean"], out["halfwidth"], out["low"], out["high"], offered, reps, staffing)


def _nanpercentile(values, q):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an hour with no value in any replication
        return np.nanpercentile(values, q, axis=0)


def text_table(comparison: Comparison, title: str) -> str:
    """A terminal table: per hour, observed vs simulated (mean and 95 % interval), flags '!'."""
    lines = [title, f"{comparison.replications} replications; '!' = observed outside the simulated 95 % interval "
                    f"of one replication; SL = answered within T / offered; a call counts in the hour it "
                    f"reached the queue; occupancy = busy / staffed, the log's staffed time: "
                    f"{comparison.staffing}",
             "hour  offered  " + "  ".join(f"{k:>31}" for k in KPIS)]
    for h in range(HOURS):
        if not comparison.offered[h]:
            continue
        cells = []
        for k in KPIS:
            o, m, lo, hi = (comparison.observed[k][h], comparison.mean[k][h], comparison.low[k][h],
                            comparison.high[k][h])
            flag = "!" if comparison.inside(k)[h] == 0 else " "
            cells.append(f"{o:8.3g} vs {m:7.3g} [{lo:6.3g},{hi:6.3g}]{flag}")
        lines.append(f"{h:02d}h  {int(comparison.offered[h]):7d}  " + "  ".join(cells))
    lines.append("inside: " + ", ".join(f"{k} {a}/{b} hours" for k in KPIS
                                        for a, b in [comparison.share_inside(k)]))
    return "\n".join(lines)


def html_table(comparison: Comparison, title: str) -> str:
    """A self-contained HTML page of the same table (flagged cells in red)."""
    from html import escape

    head = "".join(f"<th colspan=4>{k}</th>" for k in KPIS)
    sub = "".join("<th>observed</th><th>sim. mean ± CI</th><th>2.5 %</th><th>97.5 %</th>" for _ in KPIS)
    rows = []
    for h in range(HOURS):
        if not comparison.offered[h]:
            continue
        cells = []
        for k in KPIS:
            bad = comparison.inside(k)[h] == 0
            style = " style='background:#f8c8c8'" if bad else ""
            cells.append(f"<td{style}>{comparison.observed[k][h]:.4g}</td><td>{comparison.mean[k][h]:.4g} ± "
                         f"{comparison.halfwidth[k][h]:.2g}</td><td>{comparison.low[k][h]:.4g}</td>"
                         f"<td>{comparison.high[k][h]:.4g}</td>")
        rows.append(f"<tr><td>{h:02d}:00</td><td>{int(comparison.offered[h])}</td>{''.join(cells)}</tr>")
    summary = "".join(f"<li>{k}: observed inside the simulated 95 % interval in {a} of {b} hours</li>"
                      for k in KPIS for a, b in [comparison.share_inside(k)])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
            "body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
            "table{border-collapse:collapse}</style></head><body>"
            f"<h1>{escape(title)}</h1><p>{comparison.replications} replications. A red cell: the observed value "
            "lies outside the 2.5-97.5 % range of the replications. Service level = answered within T / offered; "
            f"a call counts in the hour it reached the queue. Occupancy = busy / staffed; the log's staffed "
            f"time: {escape(comparison.staffing)}.</p><ul>{summary}</ul>"
            f"<table><tr><th>hour</th><th>offered</th>{head}</tr><tr><th></th><th></th>{sub}</tr>"
            f"{''.join(rows)}</table></body></html>")


__all__ = ["COUNTS", "Comparison", "KPIS", "compare", "html_table", "kpis", "observed_hours", "simulated_hours",
           "text_table"]
