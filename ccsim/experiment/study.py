"""Studies from Python in one call: ``compare`` scenarios, ``sweep`` a grid.

>>> study = compare(["a.yaml", "b.yaml"], reps=20, seed=1)      # doctest: +SKIP
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

from ..api import as_scenario
from ..scenario import scenario_to_dict
from . import analysis
from .overrides import apply_and_validate, grid, point_label
from .records import Point, StudyData
from .runner import run_study, run_until


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

    def write_html(self, path, title=None) -> Path:
        from ..report import write_html

        return write_html(self.data, path, title=title)


def compare(scenarios, reps: int = 10, seed: int = 0, crn: bool = True, labels=None, **options) -> Study:
    """Run each scenario (path, dict or ``Scenario``) ``reps`` times and compare them.

    ``options`` go to ``run_study`` (engine, backend, store_path, resume, progress,
    call_records_dir) or, with ``target_halfwidth=`` and ``kpis=``, to ``run_until``.
    """
    scenarios = list(scenarios)
    if len(scenarios) < 2:
        raise ValueError(f"compare needs at least two scenarios, got {len(scenarios)}")
    labels = list(labels) if labels is not None else [_label(s, i) for i, s in enumerate(scenarios)]
    points = [Point(i, labels[i], {}, scenario_to_dict(as_scenario(s))) for i, s in enumerate(scenarios)]
    return _run(points, reps, seed, crn, "compare", options)


def sweep(scenario, assignments, reps: int = 5, seed: int = 0, crn: bool = True, **options) -> Study:
    """Run ``scenario`` at every point of the grid ``assignments`` (e.g. ``["agents.team.count=40..80:5"]``)."""
    base = scenario_to_dict(as_scenario(scenario))
    if isinstance(assignments, str):
        assignments = [assignments]
    points = [Point(i, point_label(ov), ov, apply_and_validate(base, ov)) for i, ov in enumerate(grid(list(assignments)))]
    return _run(points, reps, seed, crn, "sweep", options)


def _run(points, reps, seed, crn, kind, options) -> Study:
    options.setdefault("name", kind)
    if "target_halfwidth" in options:
        target = options.pop("target_halfwidth")
        kpis = options.pop("kpis", None) or (list(target) if isinstance(target, dict) else None)
        if not kpis:
            raise ValueError("target_halfwidth as one number needs kpis=[...] naming the KPIs it applies to")
        data = run_until(points, kpis, target, seed=seed, crn=crn, min_reps=reps, kind=kind, **options)
    else:
        data = run_study(points, reps, seed=seed, crn=crn, kind=kind, **options)
    return Study(data)


def _label(scenario, index: int) -> str:
    if isinstance(scenario, (str, Path)):
        return Path(scenario).name
    name = getattr(scenario, "name", None) or (scenario.get("name") if isinstance(scenario, dict) else None)
    return name or f"scenario {index}"
