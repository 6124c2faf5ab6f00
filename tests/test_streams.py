"""Only the random streams a run can draw from are created (compile.bit_generators).

A stream skipped by ``CompiledModel.drawn_streams`` is one shared ``SkippedStream``; the core
checks after its run that nothing drew from it, and the SimPy twin creates every stream, so a
wrong skip both raises in the core and makes the twins differ. The streams created are today's
(keyed by names), so results do not change.
"""
import numpy as np
import pytest
from engine_checks import assert_same_run, run

import ccsim.compile
from ccsim.api import replication_seed
from ccsim.compile import SkippedStream, bit_generators, compile_scenario, stream_seeds
from ccsim.engines import ENGINES
from ccsim.scenario import validate_scenario


def exp(mean):
    return {"dist": "exponential", "mean": mean}


def fixed(value):
    return {"dist": "deterministic", "value": value}


# One call type per reason to draw, each beside types that do not: "plain" draws handle and
# patience only; "retry" retries (and transfers, so transfer streams exist); "wrapup" has ACW;
# "hold" offers callbacks; "vm" calls the menu's voicemails back; "fixed" has deterministic
# durations (draws nothing); "mixed" a mixture of two deterministic patiences (one uniform each).
STREAMS = {
    "name": "streams", "horizon": 14400, "interval": 900,
    "call_types": [
        {"name": "plain", "arrivals": {"process": "poisson", "rate": 0.03}, "handle_time": exp(180),
         "patience": exp(60)},
        {"name": "retry", "arrivals": {"process": "poisson", "rate": 0.03}, "handle_time": exp(180),
         "patience": exp(60), "retrials": {"blocked": 0.5, "abandoned": 0.5, "delay": exp(300), "max_attempts": 3},
         "transfers": [{"to": "plain", "p": 0.2}]},
        {"name": "wrapup", "arrivals": {"process": "poisson", "rate": 0.03}, "handle_time": exp(150),
         "patience": exp(60), "after_call_work": {"dist": "uniform", "low": 5, "high": 30}},
        {"name": "hold", "arrivals": {"process": "poisson", "rate": 0.03}, "handle_time": exp(180),
         "patience": exp(60), "callback": {"offer_after": 20, "accept": 0.6, "answer": 0.7, "ring": 20,
                                            "max_attempts": 2, "retry_delay": 300, "target": 600}},
        {"name": "vm", "handle_time": exp(120), "patience": exp(60), "callback": {"answer": 0.8}},
        {"name": "fixed", "arrivals": {"process": "poisson", "rate": 0.03}, "handle_time": fixed(170),
         "patience": fixed(45)},
        {"name": "mixed", "arrivals": {"process": "poisson", "rate": 0.03}, "handle_time": exp(180),
         "patience": {"dist": "mixture", "components": [{"weight": 0.5, "dist": fixed(0)},
                                                         {"weight": 0.5, "dist": fixed(90)}]}},
    ],
    "entries": [{"name": "line", "arrivals": {"process": "poisson", "rate": 0.02}, "ivr": "menu"}],
    "ivr": [{"name": "menu", "nodes": [{"name": "welcome", "duration": exp(10), "branches": [
        {"p": 0.5, "queue": "plain"}, {"p": 0.5, "exit": "voicemail"}]}]}],
    "voicemail": {"call_type": "vm"},
    "agents": [{"name": "all", "count": 6, "serves": ["plain", "retry", "wrapup", "hold", "vm", "fixed", "mixed"]}],
}
SKIPPED = {("after_call_work", name) for name in ("plain", "retry", "hold", "vm", "fixed", "mixed")} | {
    ("retrial", name) for name in ("plain", "wrapup", "hold", "vm", "fixed", "mixed", "line")} | {
    ("callback", name) for name in ("plain", "retry", "wrapup", "fixed", "mixed")} | {
    ("handle", "fixed"), ("patience", "fixed")} | {
    ("transfer", name) for name in ("plain", "wrapup", "hold", "vm", "fixed", "mixed")} | {
    ("leg", "fixed")} | {
    ("leg_transfer", name) for name in ("plain", "wrapup", "hold", "vm", "fixed", "mixed")}


def model():
    return compile_scenario(validate_scenario(STREAMS))


def test_only_the_streams_a_run_can_draw_from_are_created():
    m = model()
    assert {key for key, drawn in zip(m.stream_keys, m.drawn_streams) if not drawn} == SKIPPED


def test_the_streams_created_are_the_keyed_ones_of_every_stream():
    m = model()
    streams, seeds = bit_generators(m, 7), stream_seeds(m, 7)
    assert len(streams) == len(m.stream_keys)
    assert len({id(s) for s in streams if isinstance(s, SkippedStream)}) == 1
    for stream, seed, drawn in zip(streams, seeds, m.drawn_streams):
        assert isinstance(stream, SkippedStream) != drawn
        if drawn:
            assert stream.state == np.random.PCG64(seed).state
    assert all(type(s) is np.random.PCG64 for s in bit_generators(m, 7, skip=False))


@pytest.mark.parametrize("seed", [1, 2])
def test_core_with_skipped_streams_makes_the_run_of_simpy_with_all(seed):
    assert_same_run(run(STREAMS, "core", seed), run(STREAMS, "simpy", seed))


def with_skipped(m, key):
    """The model with stream ``key`` skipped too: a wrong rule."""
    drawn = m.drawn_streams.copy()
    drawn[m.stream_keys.index(key)] = False
    m.__dict__["drawn_streams"] = drawn  # drawn_streams is a cached_property
    return m


DRAWN = [("handle", "plain"), ("patience", "plain"), ("after_call_work", "wrapup"),
         ("retrial", "retry"), ("callback", "hold"), ("callback", "vm"), ("transfer", "retry"),
         ("patience", "mixed"), ("ivr", "menu"), ("leg", "retry"), ("leg_transfer", "retry")]


@pytest.mark.parametrize("key", DRAWN, ids="-".join)
def test_a_run_drawing_from_a_skipped_stream_fails(key):
    with pytest.raises(RuntimeError, match="skipped"):
        ENGINES["core"](with_skipped(model(), key), 1)


def test_a_wrong_rule_is_caught(monkeypatch):
    """Taking a mixture of deterministic values for draw-free skips the "mixed" patience stream,
    which the run draws from: the core refuses the run, and would differ from its twin."""
    monkeypatch.setattr(ccsim.compile, "_DRAWLESS", ccsim.compile._DRAWLESS + (ccsim.compile.DIST_CODES["mixture"],))
    m = model()
    assert not m.drawn_streams[m.stream_keys.index(("patience", "mixed"))]
    with pytest.raises(RuntimeError, match="skipped"):
        ENGINES["core"](m, 1)


ROOTS = [np.random.SeedSequence(1), np.random.SeedSequence(0), np.random.SeedSequence(2**32 - 1),
         np.random.SeedSequence(2**128 + 5, spawn_key=(2**40, 0)), np.random.SeedSequence(12345).spawn(3)[2],
         np.random.SeedSequence([1, 2**33, 0]), replication_seed(7, 4),
         np.random.SeedSequence(np.array([5, 6], dtype=np.uint32))]  # an array: the one-by-one path


@pytest.mark.parametrize("root", ROOTS, ids=range(len(ROOTS)))
def test_the_streams_seeds_computed_at_once_are_seedsequences_words(root):
    """``_keyed_states`` gives, for every key, the words SeedSequence generates for it: roots of
    one to five entropy words, a sequence, spawned roots, names of any length and script."""
    keys = [(source, name) for source in ccsim.compile.SOURCES
            for name in ("", "a", "sales_2", "été", "x" * 200, "t199")]
    expected = [ccsim.compile._keyed(root, source, name).generate_state(4, np.uint64) for source, name in keys]
    assert np.array_equal(ccsim.compile._keyed_states(root, keys), np.array(expected))


def test_a_large_center_seeds_its_streams_at_once_to_the_same_states():
    """From ``_AT_ONCE`` streams on, ``_keyed_states`` hashes them all at once: ``bit_generators``
    gives the same states as one SeedSequence a stream."""
    flat = {"name": "flat", "horizon": 3600,
            "call_types": [{"name": f"t{i}", "arrivals": {"process": "poisson", "rate": 0.01},
                            "handle_time": exp(180), "patience": exp(300)} for i in range(20)],
            "agents": [{"name": "team", "count": 5, "serves": [f"t{i}" for i in range(20)]}]}
    m = compile_scenario(validate_scenario(flat))
    assert m.drawn_streams.sum() >= ccsim.compile._AT_ONCE
    for stream, seed, drawn in zip(bit_generators(m, 3), stream_seeds(m, 3), m.drawn_streams):
        if drawn:
            assert type(stream) is np.random.PCG64 and stream.state == np.random.PCG64(seed).state
