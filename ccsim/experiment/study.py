"""Studies from Python in one call: ``compare`` scenarios, ``sweep`` a grid.

>>> study = compare(["a.yaml", "b.yaml"], reps=20, seed=1)      # doctest: +SKIP
>>> study = compare(["a.yaml", "b.yaml"], ci_halfwidth={"service_level": 0.005})  # until that precise
>>> study.differences()          # paired differences, CIs, verdicts (DataFrame)
>>> study = sweep("scenarios/erlang_a.yaml", ["agents.team.count=180..200:5"], reps=5)
>>> study.table()                # one row per point, KPI means and half-widths
>>> study.write_html("sweep.html")

Both run on a local process pool by default (``backend=`` a scheduler address or
a ``dask.distributed.Client`` for a cluster) and store each replication in
``store`` when given, so ``resume=True`` continues an interrupted study.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..api import DEFAULT_SEED, as_scenario
from ..scenario import scenario_to_dict
from . import analysis
from .overrides import apply_and_validate, grid, point_label
from .records import Point, StudyData
from .runner import StudyArgumentError, run_study, run_until


@dataclass
class Study:
    """A finished study and the tables researchers read from it."""

    data: StudyData

    def summary(self, kpis=None):
        """One row per (point, KPI): mean, 95 % half-width, std, replications."""
        return analysis.summary_table(self.data, kpis)

    def differences(self, baseline: int = 0, kpis=None):
        """Each point against ``baseline``: difference, CI, p-value, verdict, variance reduction."""
        return analysis.compare(self.data, baseline=baseline, kpis=kpis)

    def table(self, kpis=None):
        """One row per point: its overrides, then each KPI's mean and half-width."""
        return analysis.sweep_table(self.data, kpis)

    def replications(self):
        """One row per (point, replication): label, calls simulated, then every KPI."""
        import pandas as pd

        labels = {p.point: p.label for p in self.data.points}
        rows = [{"point": r.point, "label": labels.get(r.point, ""), "replication": r.rep,
                 "calls_simulated": r.calls_simulated, **r.kpis}
                for r in sorted(self.data.records, key=lambda r: (r.point, r.rep))]
        return pd.DataFrame(rows)

    def lost_calls(self):
        """One row per (point, replication): label, then ``Result.lost_calls()`` (empty columns
        for replications read from a store of format 2, which did not keep it)."""
        import pandas as pd

        labels = {p.point: p.label for p in self.data.points}
        rows = [{"point": r.point, "label": labels.get(r.point, ""), "replication": r.rep, **r.lost_calls}
                for r in sorted(self.data.records, key=lambda r: (r.point, r.rep))]
        return pd.DataFrame(rows)

    def channels(self):
        """One row per (point, replication, source of callers: organic, then each media channel):
        the columns of ``Result.channels()``; empty without a media schedule."""
        import pandas as pd

        rows = [{"point": r.point, "replication": r.rep, "channel": name, **values}
                for r in sorted(self.data.records, key=lambda r: (r.point, r.rep))
                for name, values in r.channels.items()]
        return pd.DataFrame(rows)

    def agents(self):
        """One row per (point, replication, agent): ``point``, ``replication``, then the columns of
        ``Result.agent_table()`` unranked, in agent order (``ccsim.agent_report.rank`` ranks them;
        ``mean_agent_table`` averages a point's); empty for a store of format 2 or 3."""
        return self._agent_views(lambda columns: columns)

    def teams(self, by: str = "team"):
        """One row per (point, replication, team) (``by="squad"``: per squad): ``point``,
        ``replication``, then the columns of ``Result.rollup(by)``; empty for a store of format 2 or 3."""
        from ..agent_report import rollup_columns

        return self._agent_views(lambda columns: rollup_columns(columns, by))

    def skills(self):
        """One row per (point, replication, call type): the columns of ``Result.skills()``;
        empty for a store of format 2 or 3."""
        import pandas as pd

        rows = [{"point": r.point, "replication": r.rep, "call_type": name, **values}
                for r in sorted(self.data.records, key=lambda r: (r.point, r.rep))
                for name, values in r.skills.items()]
        return pd.DataFrame(rows)

    def _agent_views(self, table):
        import pandas as pd

        frames = []
        for r in sorted(self.data.records, key=lambda r: (r.point, r.rep)):
            if r.agents:
                frame = pd.DataFrame(table(r.agent_columns()))
                frame.insert(0, "replication", r.rep)
                frame.insert(0, "point", r.point)
                frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def intervals(self):
        """One row per (point, replication, interval), long format: ``point``,
        ``replication``, then the columns of ``Result.intervals()``."""
        import pandas as pd

        frames = []
        for r in sorted(self.data.records, key=lambda r: (r.point, r.rep)):
            frame = r.interval_frame()
            frame.insert(0, "replication", r.rep)
            frame.insert(0, "point", r.point)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def write_html(self, path, title=None) -> Path:
        from ..report import write_html

        return write_html(self.data, path, title=title)


def compare(scenarios, reps: int = 10, seed: int = DEFAULT_SEED, crn: bool = True, labels=None,
            ci_halfwidth: dict | None = None, **options) -> Study:
    """Run each scenario (path, dict or ``Scenario``) ``reps`` times and compare them.

    ``ci_halfwidth={"service_level": 0.005, ...}`` (in each KPI's own units)
    keeps adding replications, ``reps`` at least and ``max_reps`` (default 200)
    at most, until every point's 95 % half-width of each KPI named is that
    narrow. ``options`` go to ``run_study`` / ``run_until`` (engine, backend,
    store_path, resume, progress, call_records_dir, max_reps, batch).
    """
    if isinstance(scenarios, (str, Path, dict)) or not hasattr(scenarios, "__iter__"):
        raise StudyArgumentError(f"compare takes a list of scenarios (paths, dicts or Scenarios), got "
                                 f"{type(scenarios).__name__} {str(scenarios)[:60]!r}")
    scenarios = list(scenarios)
    if len(scenarios) < 2:
        raise StudyArgumentError(f"compare needs at least two scenarios, got {len(scenarios)}")
    labels = list(labels) if labels is not None else [_label(s, i) for i, s in enumerate(scenarios)]
    if len(labels) != len(scenarios):
        raise StudyArgumentError(f"labels: one per scenario, got {len(labels)} for {len(scenarios)} scenarios")
    points = [Point(i, labels[i], {}, scenario_to_dict(as_scenario(s))) for i, s in enumerate(scenarios)]
    return _run(points, reps, seed, crn, "compare", ci_halfwidth, options)


def sweep(scenario, assignments, reps: int = 10, seed: int = DEFAULT_SEED, crn: bool = True,
          ci_halfwidth: dict | None = None, **options) -> Study:
    """Run ``scenario`` at every point of the grid ``assignments`` (e.g. ``["agents.team.count=40..80:5"]``).

    ``ci_halfwidth`` and ``options`` as in ``compare``.
    """
    base = scenario_to_dict(as_scenario(scenario))
    if isinstance(assignments, str):
        assignments = [assignments]
    points = [Point(i, point_label(ov), ov, apply_and_validate(base, ov)) for i, ov in enumerate(grid(list(assignments)))]
    return _run(points, reps, seed, crn, "sweep", ci_halfwidth, options)


def _run(points, reps, seed, crn, kind, ci_halfwidth, options) -> Study:
    if not isinstance(crn, (bool, np.bool_)):
        raise StudyArgumentError(f"crn must be True or False, got {crn!r}")
    if "router" in options:
        raise StudyArgumentError("a study takes no router: studies run in worker processes from plain scenario "
                                 "data; run a router with ccsim.replicate(scenario, reps, router=...)")
    options.setdefault("name", kind)
    if ci_halfwidth is None:
        return Study(_self_contained(run_study(points, reps, seed=seed, crn=crn, kind=kind, **options)))
    if not isinstance(ci_halfwidth, dict) or not ci_halfwidth:
        raise StudyArgumentError(
            f"ci_halfwidth must map KPI names to 95 % half-widths in their own units, "
            f"e.g. {{'service_level': 0.005}}; got {ci_halfwidth!r}"
        )
    data = run_until(points, list(ci_halfwidth), ci_halfwidth, seed=seed, crn=crn, min_reps=reps, kind=kind,
                     **options)
    return Study(_self_contained(data))


def _self_contained(data: StudyData) -> StudyData:
    """``data`` with every record in memory: a study's records loaded from its store read their
    interval tables from the file when asked (``ccsim report`` and the CLI's --html keep them so);
    the Python API's ``study.data`` holds everything, whatever becomes of the file."""
    data.records = [r.in_memory() if callable(getattr(r, "in_memory", None)) else r for r in data.records]
    return data


def _label(scenario, index: int) -> str:
    if isinstance(scenario, (str, Path)):
        return Path(scenario).name
    name = getattr(scenario, "name", None) or (scenario.get("name") if isinstance(scenario, dict) else None)
    return name or f"scenario {index}"
