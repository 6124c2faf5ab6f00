"""The Python API: one seed meaning, defaults, explicit SeedSequences, argument errors."""
import json

import re

import numpy as np
import pytest

import ccsim
from ccsim.api import ArgumentError
from ccsim.errors import UserError
from ccsim.experiment import compare, sweep
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study
from factories import single_queue

SCENARIO = single_queue(agents=20, horizon=7200, rate=0.1, warmup=900)


def same(a: dict, b: dict) -> bool:
    """Bit-identical KPI dicts (NaN equal to NaN)."""
    return json.dumps(a, default=float) == json.dumps(b, default=float)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_simulate_is_replication_zero_of_replicate_and_of_a_study(seed):
    alone = ccsim.simulate(SCENARIO, seed=seed)
    first = ccsim.replicate(SCENARIO, 3, seed=seed)[0]
    assert same(alone.kpis(), first.kpis())
    assert alone.intervals(as_frame=False).tobytes() == first.intervals(as_frame=False).tobytes()
    study = run_study([Point(0, "p", {}, SCENARIO)], 2, seed, True, backend="serial")
    assert same(alone.kpis(), study.records_of(0)[0].kpis)
    assert study.records_of(0)[0].interval_table().tobytes() == alone.intervals(as_frame=False).tobytes()


def test_replications_differ_and_seeds_matter():
    results = ccsim.replicate(SCENARIO, 3, seed=5)
    arrivals = [r.kpis()["arrivals"] for r in results]
    assert len(set(arrivals)) == 3
    assert ccsim.simulate(SCENARIO, seed=5).kpis()["arrivals"] != ccsim.simulate(SCENARIO, seed=6).kpis()["arrivals"]


def test_default_seed_is_one():
    assert same(ccsim.simulate(SCENARIO).kpis(), ccsim.simulate(SCENARIO, seed=1).kpis())
    assert same(ccsim.replicate(SCENARIO, 2)[1].kpis(), ccsim.replicate(SCENARIO, 2, seed=1)[1].kpis())
    assert not same(ccsim.simulate(SCENARIO).kpis(), ccsim.simulate(SCENARIO, seed=0).kpis())


def test_study_defaults_ten_replications_seed_one():
    a, b = single_queue(agents=10, horizon=1800, rate=0.05), single_queue(agents=12, horizon=1800, rate=0.05)
    study = compare([a, b], backend="serial")
    assert study.data.seed == 1 and [len(study.data.records_of(p)) for p in (0, 1)] == [10, 10]
    assert same(study.data.records_of(0)[0].kpis, ccsim.simulate(a).kpis())
    swept = sweep(a, "agents.team.count=10..11", backend="serial")
    assert swept.data.seed == 1 and len(swept.data.records) == 20


def test_a_seed_sequence_is_used_as_is():
    root = np.random.SeedSequence(5)
    as_is = ccsim.simulate(SCENARIO, seed=root)
    assert as_is.seed is root
    assert not same(as_is.kpis(), ccsim.simulate(SCENARIO, seed=5).kpis())
    child = np.random.SeedSequence(5, spawn_key=(0,))
    assert same(ccsim.simulate(SCENARIO, seed=child).kpis(), ccsim.simulate(SCENARIO, seed=5).kpis())


def test_replicate_from_a_seed_sequence_does_not_depend_on_earlier_spawns():
    root = np.random.SeedSequence(9)
    first = [r.kpis() for r in ccsim.replicate(SCENARIO, 2, seed=root)]
    root.spawn(3)  # a caller's own use of the object must not shift the replications
    again = [r.kpis() for r in ccsim.replicate(SCENARIO, 2, seed=root)]
    assert all(same(a, b) for a, b in zip(first, again))
    by_int = [r.kpis() for r in ccsim.replicate(SCENARIO, 2, seed=9)]
    assert all(same(a, b) for a, b in zip(first, by_int))


@pytest.mark.parametrize("call, match", [
    (lambda: ccsim.simulate(SCENARIO, seed=-1), "seed must be a non-negative integer, got -1"),
    (lambda: ccsim.simulate(SCENARIO, seed="7"), "seed must be a non-negative integer or a numpy"),
    (lambda: ccsim.simulate(SCENARIO, engine="turbo"), "unknown engine 'turbo'"),
    (lambda: ccsim.replicate(SCENARIO, 0), "reps must be at least 1, got 0"),
    (lambda: ccsim.replicate(SCENARIO, 2, seed=1.5), "seed must be"),
    # a new user's and a researcher's mistakes, each an internal exception before
    (lambda: ccsim.replicate(SCENARIO, 2.0), "reps must be a whole number, got 2.0"),
    (lambda: ccsim.replicate(SCENARIO, 10**9), "reps must be at most 1,000,000, got 1,000,000,000"),
    (lambda: ccsim.replicate(SCENARIO, True), "reps must be a whole number, got True"),
    (lambda: ccsim.simulate(None), "scenario must be a ccsim.Scenario, a dict or the path of a YAML file, "
                                   "got NoneType"),
    (lambda: ccsim.simulate(SCENARIO, router=object()), "router must be a ccsim.Router"),
    (lambda: ccsim.summarize(["x"]), "summarize takes a list of one or more ccsim Results"),
    # from a researcher's audit: each was a TypeError or ValueError from inside, or taken
    (lambda: ccsim.summarize(ccsim.simulate(SCENARIO)), r"summarize takes a list of ccsim Results, got a Result: "
                                                         r"summarize\(\[result\]\)"),
    (lambda: ccsim.simulate(SCENARIO, engine=["core"]), r"unknown engine \['core'\]"),
    (lambda: ccsim.simulate(SCENARIO, router=ccsim.Router), "got the class Router: pass Router"),
    (lambda: ccsim.simulate(SCENARIO, state=3), "state must be a ccsim.state.State or the path of a state file"),
    (lambda: ccsim.simulate(SCENARIO, seed=True), "seed must be a non-negative integer or a numpy"),
    (lambda: ccsim.simulate(SCENARIO, call_records="no"), "call_records must be True or False, got 'no'"),
    (lambda: ccsim.replicate(SCENARIO, 2, progress=3), r"progress must be a function progress\(done, total\)"),
    (lambda: ccsim.replication_seed(1, -1), "rep must be at least 0, got -1"),
    (lambda: ccsim.replication_seeds(1, -2), "reps must be at least 0, got -2"),
    (lambda: ccsim.load_scenario({"name": "x"}), "load_scenario takes the path of a YAML file, got dict"),
    (lambda: ccsim.load_scenario(3), "load_scenario takes the path of a YAML file, got int"),
    (lambda: ccsim.summarize([]), "got an empty list"),
    (lambda: ccsim.summarize([ccsim.simulate(SCENARIO)], level=95), r"level must be a confidence level .* got 95"),
    (lambda: ccsim.simulate(SCENARIO).batch_means(batches=0), "batches must be at least 2, got 0"),
    (lambda: ccsim.simulate(SCENARIO).batch_means(batches="x"), "batches must be a whole number, got 'x'"),
    (lambda: ccsim.simulate(SCENARIO).intervals(by=["group"]), r"by must be one of .* got \['group'\]"),
])
def test_bad_arguments_are_user_errors(call, match):
    with pytest.raises(ArgumentError, match=match) as caught:
        call()
    assert isinstance(caught.value, UserError)


B = single_queue(agents=12, horizon=1800, rate=0.05)


@pytest.mark.parametrize("call, match", [
    (lambda: compare([SCENARIO, B], seed=1.0), r"seed must be a non-negative integer \(a study stores its root"),
    (lambda: compare([SCENARIO, B], seed=np.random.SeedSequence(3)), "seed must be a non-negative integer"),
    (lambda: compare([SCENARIO, B], reps="5"), "reps must be a whole number, got '5'"),
    (lambda: compare([SCENARIO, B], reps=10**9), "reps must be at most 1,000,000"),
    (lambda: compare([SCENARIO, B], labels=["x"]), "labels: one per scenario, got 1 for 2 scenarios"),
    (lambda: compare("a.yaml"), "compare takes a list of scenarios"),
    (lambda: compare([SCENARIO, B], crn="no"), "crn must be True or False, got 'no'"),
    (lambda: compare([SCENARIO, B], router=ccsim.Router()), "a study takes no router"),
    (lambda: compare([SCENARIO, B], reps=2, backend="serial").differences(baseline=5),
     "baseline point 5 is not in the study"),
    (lambda: compare([SCENARIO, B], reps=2, backend="serial").summary(kpis=["nope"]), "unknown KPI nope"),
    (lambda: compare([SCENARIO, B], ci_halfwidth={"service_level": "x"}),
     "target half-width of service_level must be a number >= 0, got 'x'"),
])
def test_bad_study_arguments_are_user_errors(call, match):
    with pytest.raises(UserError, match=match):
        call()


def test_an_edited_scenario_is_validated_again():
    """pydantic's model_copy(update=...) does not validate: simulate and replicate ran a negative
    horizon (0 calls) or 35.7 agents (35), or failed deep inside compile (ZeroDivisionError,
    KeyError). They validate a Scenario again, naming the field; a good edit still runs."""
    from ccsim.scenario import ScenarioError

    base = ccsim.as_scenario(SCENARIO)
    team = base.agents[0]
    for update, words in [({"horizon": -5.0}, "horizon: expected a number greater than 0"),
                          ({"agents": [team.model_copy(update={"count": 35.7})]}, "agents[0].count: expected a whole"),
                          ({"agents": [team.model_copy(update={"count": 0})]}, "agents[0].count"),
                          ({"agents": [team.model_copy(update={"serves": ["x"]})]}, "'x', which is not defined"),
                          ({"interval": 0.0}, "interval: expected a number greater than 0")]:
        for run in (lambda s: ccsim.simulate(s), lambda s: ccsim.replicate(s, 2)):
            with pytest.raises(ScenarioError) as caught:
                run(base.model_copy(update=update))
            assert words in str(caught.value), str(caught.value)
    more = base.model_copy(update={"agents": [team.model_copy(update={"count": 25})]})
    assert ccsim.simulate(more).model.n_agents == 25
    # what validation made is not validated again (ccsim check runs a scenario once per
    # replication), but comes back as a private copy
    from ccsim.scenario import loader

    calls = []
    real = loader.Scenario.model_validate
    try:
        loader.Scenario.model_validate = lambda *a, **k: calls.append(1) or real(*a, **k)
        copy = ccsim.as_scenario(base)
        assert copy == base and copy is not base and not calls
        again = ccsim.as_scenario(more)
        assert again == more and again is not more and calls
    finally:
        loader.Scenario.model_validate = real
    assert loader.was_validated(base) and loader.was_validated(copy) and not loader.was_validated(more)
    assert same(ccsim.simulate(base).kpis(), ccsim.simulate(SCENARIO).kpis())


def test_a_scenario_edited_in_place_is_validated_again_and_results_keep_theirs():
    """A Scenario is frozen, its lists and dicts are not: an edit in place ran 150.5 agents as 150,
    failed in compile (KeyError, numpy's negative dimensions) or ran negative costs, and a Result
    made before read the edited costs (its roi changed, its cached kpis() did not)."""
    from ccsim.scenario import ScenarioError

    base = ccsim.as_scenario({**SCENARIO, "costs": {"agent_hour": 20.0}})
    team = base.agents[0]
    for edit, words in [(lambda s: s.agents.__setitem__(0, team.model_copy(update={"count": 150.5})),
                         "agents[0].count: expected a whole number, found 150.5"),
                        (lambda s: s.agents[0].serves.append("nowhere"), "'nowhere', which is not defined"),
                        (lambda s: s.call_types.clear(), "call_types: expected at least 1")]:
        edited = ccsim.as_scenario(base)
        edit(edited)
        for run in (lambda s: ccsim.simulate(s), lambda s: ccsim.replicate(s, 2)):
            with pytest.raises(ScenarioError, match=re.escape(words)):
                run(edited)
    result = ccsim.simulate(base)
    cost = result.costs()["agents"]
    base.agents[0].serves.append("nowhere")  # the caller's object, edited after the run
    assert result.costs()["agents"] == cost and result.scenario.agents[0].serves == ["inbound"]


def test_model_copy_with_a_misspelt_key_or_numpy_numbers():
    """model_copy(update=...) took a misspelt key without a word (the dump dropped it: the run was
    the base's), and a numpy integer (a sweep over np.arange) failed as 'cannot be read back as
    data', naming no field."""
    from ccsim.scenario import ScenarioError

    base = ccsim.as_scenario(SCENARIO)
    team = base.agents[0]
    typo = base.model_copy(update={"agents": [team.model_copy(update={"cout": 35})]})
    with pytest.raises(ScenarioError, match=r"agents\[0\]\.cout: unknown key"):
        ccsim.simulate(typo)
    with pytest.raises(ScenarioError, match=r"horizn: unknown key"):
        ccsim.as_scenario(base.model_copy(update={"horizn": 10.0}))
    for n in np.arange(24, 26):
        numpy_count = base.model_copy(update={"agents": [team.model_copy(update={"count": n})]})
        assert ccsim.simulate(numpy_count).model.n_agents == int(n)


def test_a_file_is_not_a_call_records_folder(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserError, match="call_records_dir .* is a file, not a folder"):
        compare([SCENARIO, B], reps=2, backend="serial", call_records_dir=tmp_path / "afile")


def test_a_folder_is_neither_a_store_nor_a_report(tmp_path):
    study = compare([SCENARIO, B], reps=2, backend="serial")
    with pytest.raises(UserError, match="is a folder: give the report a file name"):
        study.write_html(tmp_path)
    for resume in (False, True):
        with pytest.raises(UserError, match="is a folder, not a study store"):
            compare([SCENARIO, B], reps=2, backend="serial", store_path=tmp_path, resume=resume)


def test_ci_halfwidth_must_name_kpis():
    a, b = single_queue(agents=10, horizon=1800, rate=0.05), single_queue(agents=12, horizon=1800, rate=0.05)
    with pytest.raises(UserError, match="ci_halfwidth must map KPI names"):
        compare([a, b], reps=2, backend="serial", ci_halfwidth=0.01)


def test_one_replication_of_varying_arrivals_has_no_batch_means_interval():
    """summarize([result]) gave a batch-means half-width for a day profile (±2.1 pp on
    day_profile.yaml), which ccsim run refuses to print ("batch means would mislead")."""
    import math
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "scenarios"
    varying = ccsim.summarize([ccsim.simulate(root / "day_profile.yaml", seed=1)])
    assert all(math.isnan(row["ci_halfwidth"]) for row in varying.values())
    assert math.isfinite(varying["service_level"]["mean"])
    steady = ccsim.summarize([ccsim.simulate(single_queue(agents=20, horizon=90_000, rate=0.1, warmup=900))])
    assert math.isfinite(steady["service_level"]["ci_halfwidth"])
