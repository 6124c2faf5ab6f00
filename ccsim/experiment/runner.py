"""Running a study: every (point, replication) once, stored as it finishes.

``run_study`` runs a fixed number of replications per point; ``run_until`` adds
replications until the confidence intervals are narrow enough. Both return the
records sorted by ``(point, rep)``; a record depends only on its task's seed,
so the result is the same on every backend and with any number of workers.
"""
from __future__ import annotations

import numbers
import operator
import os
from dataclasses import dataclass, field

from ..engines import ENGINES
from ..errors import UserError, whole_number
from ..results import KPI_NAMES, t_halfwidth
from ..scenario import limits as L, validate_scenario
from .backends import make_backend
from .records import StudyData, task_for
from .store import Store


class StudyArgumentError(UserError, ValueError):
    """An argument of a study that cannot be used (reps, seed, engine, points, targets)."""


def run_study(points, reps: int, seed: int, crn: bool, engine: str = "core", store_path=None, backend=None,
              resume: bool = False, progress=None, name: str = "", kind: str = "compare",
              call_records_dir=None, max_calls=None, max_memory=None, state=None) -> StudyData:
    """Run replications ``0 .. reps-1`` of every point.

    ``store_path``: an SQLite store where each replication is committed as soon
    as it arrives (none: records are kept in memory). An existing store is
    refused unless ``resume`` is true; then it must come from the same points,
    seed, CRN setting and engine, and its replications are not run again.
    ``backend``: None (a local process pool), "serial", "local", a scheduler
    address "tcp://host:port", a ``distributed.Client`` or a backend object
    (which the caller keeps and closes). ``progress(done, total)`` is called
    once before any work and after each replication. ``call_records_dir``: a
    folder (reachable by every worker) where each replication run by this call
    writes its per-call records to Parquet; replications already stored are
    not run again, so they get no file. ``max_calls``/``max_memory`` (bytes):
    the run budget of each replication (``ccsim.budget``; None = default),
    checked for every point before the store or any worker is touched. ``state``: a start state
    (``ccsim.state.State``) every point starts from (checked against each point first).
    """
    reps = _count("reps", reps, 1)
    with _Study(points, seed, crn, engine, store_path, backend, resume, name, kind, call_records_dir,
                (max_calls, max_memory), state) as study:
        study.run(reps, progress)
        study.decide(reps)
        return study.data(reps)


@dataclass
class SequentialStudyData(StudyData):
    """What ``run_until`` returns: the study plus how it stopped.

    ``records`` hold replications ``0 .. reps-1`` of every point, where ``reps``
    is the first count at which every target was met (or ``max_reps``).
    """

    reps: int = 0  # replications per point
    target_met: bool = False
    halfwidths: dict = field(default_factory=dict)  # point -> {kpi: 95 % CI half-width at ``reps``}


def run_until(points, kpis, target_halfwidth, seed: int, crn: bool, engine: str = "core", min_reps: int = 5,
              max_reps: int = 200, batch: int | None = None, store_path=None, backend=None, resume: bool = False,
              progress=None, name: str = "", kind: str = "compare", call_records_dir=None, max_calls=None,
              max_memory=None, state=None) -> SequentialStudyData:
    """Add replications until the 95 % Student-t half-width of every KPI in
    ``kpis`` at every point is at most its target, or ``max_reps`` is reached.

    ``target_halfwidth``: one number for all KPIs or ``{kpi: half-width}`` (in
    the KPI's units). Replications are added to every point alike (CRN pairs
    stay complete), ``batch`` per point at a time (default: the backend's
    workers). The stopping rule is checked at every count from ``min_reps`` up,
    in order, so the count returned does not depend on ``batch``; replications
    computed beyond it in the last batch stay in the store but are not
    returned. Other arguments as in ``run_study``.
    """
    targets = _targets(kpis, target_halfwidth)
    min_reps = _count("min_reps", min_reps, 2)
    max_reps = _count("max_reps", max_reps, min_reps)
    with _Study(points, seed, crn, engine, store_path, backend, resume, name, kind, call_records_dir,
                (max_calls, max_memory), state) as study:
        step = _count("batch", batch, 1) if batch is not None else study.backend.workers
        planned = min_reps
        while True:
            study.run(planned, progress)
            reps, halfwidths = _first_met(study.kpis, study.points, targets, min_reps, planned)
            if reps is not None or planned >= max_reps:
                break
            planned = min(planned + step, max_reps)
        met = reps is not None
        reps = reps if met else max_reps
        study.decide(reps)
        data = study.data(reps)
    return SequentialStudyData(**vars(data), reps=reps, target_met=met, halfwidths=halfwidths)


def _check_budgets(points, engine: str, call_records: bool, max_calls, max_memory, state=None) -> None:
    """Refuse a study any of whose points is over the run budget, or cannot start from ``state``
    (a dict), before any work."""
    from ..budget import check_budget
    from ..compile import compile_scenario
    from ..scenario import validate_scenario

    for point in points:
        model = compile_scenario(validate_scenario(point.scenario))
        check_budget(model, max_calls, max_memory, engine=engine, call_records=call_records)
        if state is not None:
            from ..state.start import with_state
            from ..state.schema import validate_state

            with_state(model, validate_state(state, "the start state"), f"the start state, at point {point.label}")


class _Study:
    """The points, the backend and where the records go, for one call."""

    def __init__(self, points, seed, crn, engine, store_path, backend, resume, name, kind, call_records_dir=None,
                 budget=(None, None), state=None):
        self.points = _check_points(points)
        self.state = None if state is None else state.model_dump()  # plain data, for the workers
        self.max_calls, self.max_memory = budget
        # absolute: the workers (other processes, other hosts) may have another working directory
        self.call_records_dir = None if call_records_dir is None else os.path.abspath(call_records_dir)
        if self.call_records_dir is not None and os.path.lexists(self.call_records_dir) \
                and not os.path.isdir(self.call_records_dir):
            raise StudyArgumentError(f"call_records_dir {call_records_dir} is a file, not a folder")
        self.seed, self.crn, self.engine = _seed(seed), bool(crn), engine
        if engine not in ENGINES:
            raise StudyArgumentError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
        self.name, self.kind = name, kind
        _check_budgets(self.points, engine, self.call_records_dir is not None, *budget, self.state)
        # The backend first: an unreachable cluster must not leave an empty store behind.
        self.backend, self._owns_backend = make_backend(backend)
        try:
            self.store = None if store_path is None else self._open_store(store_path, resume)
        except BaseException:
            self._close_backend()
            raise
        self.records = {}  # (point, rep) -> record, when there is no store
        self.kpis = self.store.kpis() if self.store else {}  # (point, rep) -> kpis

    def _open_store(self, path, resume) -> Store:
        if resume:
            try:
                store = Store.open(path)
            except FileNotFoundError:
                pass  # nothing to resume: start the study
            else:
                try:
                    store.check_matches(self.points, self.seed, self.crn, self.engine, self.state)
                    store.set_decided(None)  # undecided while this study runs (a report shows every replication)
                except BaseException:
                    store.close()
                    raise
                return store
        return Store.create(path, self.name, self.kind, self.seed, self.crn, self.engine, self.points, self.state)

    def decide(self, reps: int) -> None:
        """Record in the store the replications per point this study decided on, so that a report of
        the store shows them, whatever the last batch computed beyond (it depends on the workers)."""
        if self.store is not None:
            self.store.set_decided({p.point: reps for p in self.points})

    def run(self, reps: int, progress) -> None:
        """Make sure replications ``0 .. reps-1`` of every point are done."""
        # Replication-major order: an interrupted study has balanced points.
        wanted = [(p, r) for r in range(reps) for p in self.points]
        tasks = [task_for(p, r, self.seed, self.crn, self.engine, self.call_records_dir,
                          max_calls=self.max_calls, max_memory=self.max_memory, state=self.state)
                 for p, r in wanted if (p.point, r) not in self.kpis]
        done, total = len(wanted) - len(tasks), len(wanted)
        if progress:
            progress(done, total)
        for record in self.backend.run(tasks):
            self._keep(record)
            done += 1
            if progress:
                progress(done, total)

    def _keep(self, record) -> None:
        if self.store is not None:
            self.store.add(record)  # committed before the next record is looked at
        else:
            self.records.setdefault((record.point, record.rep), record)
        self.kpis.setdefault((record.point, record.rep), record.kpis)

    def data(self, reps: int) -> StudyData:
        """The study with replications ``0 .. reps-1``, sorted by (point, rep)."""
        if self.store is not None:
            data = self.store.load()
            data.records = [r for r in data.records if r.rep < reps]
            return data
        records = [r for key, r in sorted(self.records.items()) if key[1] < reps]
        return StudyData(name=self.name, kind=self.kind, seed=self.seed, crn=self.crn, engine=self.engine,
                         points=list(self.points), records=records)

    def _close_backend(self) -> None:
        if self._owns_backend:
            self.backend.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.store is not None:
                self.store.close()
        finally:
            self._close_backend()


def _first_met(kpis: dict, points: list, targets: dict, min_reps: int, reps: int) -> tuple:
    """The first count in ``min_reps .. reps`` meeting every target, and its half-widths.

    Returns ``(None, half-widths at reps)`` if no count does.
    """
    series = {(p.point, k): [kpis[(p.point, r)][k] for r in range(reps)] for p in points for k in targets}

    def halfwidths(n):
        return {p.point: {k: t_halfwidth(series[(p.point, k)][:n]) for k in targets} for p in points}

    for n in range(min_reps, reps + 1):
        widths = halfwidths(n)
        if all(widths[p][k] <= targets[k] for p in widths for k in targets):  # NaN never meets a target
            return n, widths
    return None, halfwidths(reps)


def _targets(kpis, target) -> dict:
    kpis = [kpis] if isinstance(kpis, str) else list(kpis)
    if not kpis:
        raise StudyArgumentError("run_until needs at least one KPI to watch")
    unknown = [k for k in kpis if k not in KPI_NAMES]
    if unknown:
        raise StudyArgumentError(f"unknown KPI {', '.join(map(repr, unknown))}; expected some of {', '.join(KPI_NAMES)}")
    targets = dict(target) if isinstance(target, dict) else {k: target for k in kpis}
    missing = [k for k in kpis if k not in targets]
    if missing:
        raise StudyArgumentError(f"no target half-width for {', '.join(missing)}")
    for k in kpis:
        value = targets[k]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise StudyArgumentError(f"target half-width of {k} must be a number >= 0, got {value!r}")
    return {k: float(targets[k]) for k in kpis}


def _check_points(points) -> list:
    points = list(points)
    if not points:
        raise StudyArgumentError("a study needs at least one point")
    ids = [p.point for p in points]
    if len(set(ids)) != len(ids):
        raise StudyArgumentError(f"point numbers must be unique, got {ids}")
    for p in points:
        validate_scenario(p.scenario, source=f"point {p.point} ({p.label})")  # bad input fails before any work
    return points


def _seed(seed) -> int:
    try:
        seed = operator.index(seed)
    except TypeError:
        raise StudyArgumentError(f"seed must be a non-negative integer (a study stores its root seed), "
                                 f"got {seed!r}") from None
    if seed < 0:
        raise StudyArgumentError(f"seed must be a non-negative integer, got {seed}")
    return seed


def _count(what: str, value, least: int) -> int:
    return whole_number(value, what, least, L.MAX_REPS, StudyArgumentError)
