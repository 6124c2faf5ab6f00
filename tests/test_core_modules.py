"""The core's small Cython modules, each through its thin Python wrapper.

Every module is checked draw for draw (bit for bit) against its Python twin,
the code the SimPy reference engine runs: ``_heap`` against ``heapq`` ordered by
(time, kind, sequence), ``_random`` against ``engines.sampling.sample``,
``_arrivals`` against ``engines.arrivals.next_arrival`` and ``_stats`` against
the SimPy engine's ``Tally.clock``.
"""
import heapq
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ccsim import _arrivals, _heap, _random, _stats
from ccsim.compile import DIST_CODES as D
from ccsim.engines.arrivals import next_arrival
from ccsim.engines.sampling import sample
from ccsim.engines.simpy_engine import Tally
from ccsim.results import CALL_FIELDS, GROUP_FIELDS, INTERVAL_GROUP_FIELDS
from ccsim.results import CALLER_FIELDS, ENTRY_FIELDS, NODE_FIELDS

# ---------------------------------------------------------------- _heap


def reference_order(times, kinds, pops=None, dropped=frozenset()):
    """``heap_order`` done with heapq on (time, kind, sequence) keys; an event in ``dropped``
    is skipped when it comes first, without counting as a pop."""
    heap, order = [], []

    def pop():
        while heap:
            i = heapq.heappop(heap)[2]
            if i not in dropped:
                order.append(i)
                return

    for i, (time, kind) in enumerate(zip(times, kinds)):
        heapq.heappush(heap, (time, kind, i))
        for _ in range(0 if pops is None else pops[i]):
            pop()
    while heap:
        pop()
    return order


# few distinct times, so that ties on time (and on time and kind) are common
event_times = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 1e9, math.inf]) | st.floats(0.0, 10.0)
events = st.lists(st.tuples(event_times, st.integers(0, 3), st.integers(0, 3)), max_size=300)


@settings(max_examples=200, deadline=None)
@given(events)
def test_the_heap_pops_in_time_kind_sequence_order(evs):
    times, kinds, _ = zip(*evs) if evs else ((), (), ())
    assert _heap.heap_order(list(times), list(kinds)) == sorted(
        range(len(evs)), key=lambda i: (times[i], kinds[i], i))


@settings(max_examples=200, deadline=None)
@given(events)
def test_the_heap_interleaves_pushes_and_pops_as_heapq(evs):
    times, kinds, pops = (list(x) for x in zip(*evs)) if evs else ([], [], [])
    assert _heap.heap_order(times, kinds, pops) == reference_order(times, kinds, pops)


def test_the_heap_grows_through_a_large_random_run():
    rng = np.random.default_rng(11)
    n = 100_000
    times = np.round(rng.exponential(size=n) * 1000, 1).tolist()  # rounded: many ties
    kinds = rng.integers(0, 4, n).tolist()
    pops = rng.integers(0, 3, n).tolist()
    assert _heap.heap_order(times, kinds, pops) == reference_order(times, kinds, pops)
    assert _heap.heap_order(times, kinds) == sorted(range(n), key=lambda i: (times[i], kinds[i], i))


lane_events = st.lists(st.tuples(event_times, st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)),
                       max_size=300)


@settings(max_examples=300, deadline=None)
@given(lane_events)
def test_events_pushed_to_the_lane_or_the_arrivals_heap_pop_as_with_one_heap(evs):
    """The three places of the event queue (main heap, arrivals' heap, lane) keep the order of
    events whatever goes where: lane pushes in order (the lane) and out of order (the main
    heap), ties on time and kind across places, pops interleaved."""
    times, kinds, pops, places = (list(x) for x in zip(*evs)) if evs else ([], [], [], [])
    assert _heap.heap_order(times, kinds, pops, places) == reference_order(times, kinds, pops)


def arrivals_reference(first_times, next_times, other_times):
    """``arrivals_replaced_order`` with heapq: the arrival popped, then its source's next one
    pushed (next sequence number), as the loop did before replacing in place."""
    heap, seq, taken = [], 0, []
    left = [list(times) for times in next_times]
    for s, time in enumerate(first_times):
        heapq.heappush(heap, (time, 5, seq, s))
        seq += 1
    for i, time in enumerate(other_times):
        heapq.heappush(heap, (time, 0, seq, i))
        seq += 1
    while heap:
        _, kind, _, target = heapq.heappop(heap)
        taken.append((kind, target))
        if kind == 5 and left[target]:
            heapq.heappush(heap, (left[target].pop(0), 5, seq, target))
            seq += 1
    return taken


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(event_times, st.lists(event_times, max_size=8)), min_size=1, max_size=40),
       st.lists(event_times, max_size=60))
def test_an_arrival_replaced_in_place_keeps_the_order_of_a_pop_and_a_push(sources, other_times):
    """The loop leaves an arrival at the arrivals' root and puts its source's next arrival in
    its place (``heap_replace_arrival``) or drops it (``heap_drop_arrival``): the same order
    as popping it and pushing the next, with ties on time across sources and with the main heap
    (a next arrival may even come before its source's last: the order is still heapq's)."""
    first_times = [first for first, _ in sources]
    next_times = [sorted(later) for _, later in sources]
    taken = _heap.arrivals_replaced_order(first_times, next_times, other_times)
    assert taken == arrivals_reference(first_times, next_times, other_times)
    assert len(taken) == len(first_times) + sum(map(len, next_times)) + len(other_times)


def test_the_lane_takes_constant_delays_and_grows():
    """Events at now + a constant delay (after-call work) pushed through the lane, mixed with
    random events in the two heaps and a few out-of-order lane pushes, over a lane and an
    arrivals' heap larger than their first allocations: the same order as heapq."""
    rng = np.random.default_rng(5)
    times, kinds, pops, places = [], [], [], []
    now = 0.0
    for i in range(20_000):
        now += rng.exponential(0.01)  # bursts: many lane events wait at once
        place = int(rng.choice(3, p=[0.3, 0.6, 0.1]))
        times.append(now + (10.0 if place == 1 and rng.random() < 0.98 else rng.exponential(20.0)))
        kinds.append(int(rng.integers(0, 3)))
        places.append(place)
        pops.append(int(rng.integers(0, 2)))
    assert _heap.heap_order(times, kinds, pops, places) == reference_order(times, kinds, pops)
    assert _heap.heap_order(times, kinds, None, places) == sorted(range(len(times)), key=lambda i: (times[i], kinds[i], i))


wheel_events = st.lists(st.tuples(event_times, st.integers(0, 3), st.integers(0, 3), st.integers(0, 3),
                                  st.booleans()), max_size=300)


def _check_wheel_order(order, times, kinds, pops, places, stale):
    """Every event popped once, in heapq's order of the events popped; each missing one a
    stale timer (dropped from the wheel)."""
    missing = set(range(len(times))) - set(order)
    assert len(order) == len(set(order))
    assert all(places[i] == 3 and stale[i] for i in missing)
    assert order == reference_order(times, kinds, pops, missing)
    return missing


@settings(max_examples=300, deadline=None)
@given(wheel_events, st.sampled_from([0.05, 0.5, 3.0]))
def test_timers_in_the_wheel_keep_the_order_of_events(evs, width):
    """Timers pushed to the wheel (``heap_push_timer``) among events of the other places pop in
    the same order as with one heap; only stale timers taken from the wheel are dropped."""
    times, kinds, pops, places, stale = (list(x) for x in zip(*evs)) if evs else ([], [], [], [], [])
    order = _heap.heap_order(times, kinds, pops, places, wheel_width=width, stale=stale)
    _check_wheel_order(order, times, kinds, pops, places, stale)
    # with nothing stale, every event pops, as with one heap
    assert _heap.heap_order(times, kinds, pops, places, wheel_width=width) == reference_order(times, kinds, pops)


all_places = st.lists(st.tuples(event_times, st.integers(0, 3), st.integers(0, 3), st.integers(0, 5),
                                st.booleans()), max_size=300)


@settings(max_examples=300, deadline=None)
@given(all_places, st.sampled_from([0.05, 0.5, 3.0]), st.sampled_from([0.01, 0.3, 2.0]),
       st.sampled_from([1, 4, 64]))
def test_events_in_every_place_keep_the_order_of_one_heap(evs, width, far_width, far_buckets):
    """Events pushed to all six places (main heap, both lanes, arrivals' heap, timers' wheel,
    far wheel), ties on time and kind across them, pops interleaved, wheels of a few widths and
    far wheels of 1 to 64 buckets (events beyond them go to the main heap): heapq's order, less
    the stale timers dropped."""
    times, kinds, pops, places, stale = (list(x) for x in zip(*evs)) if evs else ([], [], [], [], [])
    order = _heap.heap_order(times, kinds, pops, places, wheel_width=width, stale=stale,
                             far_width=far_width, far_buckets=far_buckets)
    _check_wheel_order(order, times, kinds, pops, places, stale)
    assert _heap.heap_order(times, kinds, pops, places, wheel_width=width, far_width=far_width,
                            far_buckets=far_buckets) == reference_order(times, kinds, pops)


def test_the_far_wheel_keeps_the_main_heap_small():
    """The ends of 20,000 agents' talks (exponential, 180 s) at a moving clock, as a large
    center pushes them, through a far wheel of 8,192 buckets of 0.5 s: heapq's order, and the
    main heap holds only the due buckets' events and the few beyond the wheel (without it,
    one per busy agent)."""
    rng = np.random.default_rng(12)
    n, busy = 60_000, 20_000
    times = list(rng.exponential(180.0, busy))  # the first talks, all agents busy at time 0
    gaps = rng.exponential(180.0 / busy, n - busy)  # then one ends and another starts, in turn
    pops = [0] * busy
    now = 0.0
    for gap in gaps:
        now += gap
        times.append(now + rng.exponential(180.0))
        pops.append(1)
    kinds = [1] * n
    places = [4] * n
    peak = []
    order = _heap.heap_order(times, kinds, pops, places, far_width=0.5, far_buckets=8192, main_sizes=peak)
    assert order == reference_order(times, kinds, pops)
    steady = peak[:n - busy]  # main heap sizes at the pops of the steady part (then it drains)
    assert max(steady) < 200 and sum(steady) / len(steady) < 60
    plain = []
    _heap.heap_order(times, kinds, pops, main_sizes=plain)
    assert min(plain[:n - busy]) > 19_000


def test_wheels_of_tiny_buckets_keep_times_too_far_for_a_bucket_number():
    """Buckets of 1e-300 s, so that the clock and most event times lie too many widths away for
    a bucket number (past 4e18 of them, or inf: such events go to the main heap): the order is
    still one heap's."""
    times = [1e10, 5.0, 1e12, 0.0, math.inf, 3e-301, 1e10]
    kinds = [0, 1, 0, 2, 0, 1, 0]
    pops = [1, 0, 1, 0, 1, 0, 0]
    places = [3, 4, 3, 4, 3, 4, 4]
    assert _heap.heap_order(times, kinds, pops, places, wheel_width=1e-300, far_width=1e-300) == \
        reference_order(times, kinds, pops)


def _timer_run(rng, n, start=0.0):
    """n events as a run pushes them from ``start`` on (patience timers, after-call work, others),
    with the pops a run makes (the events due by the clock after each push): times, kinds, pops,
    places, stale."""
    times, kinds, pops, places, stale = [], [], [], [], []
    pending = []  # the events that will pop, to count those due by the clock
    now = start
    for i in range(n):
        now += rng.exponential(0.5)
        place = int(rng.choice(4, p=[0.3, 0.2, 0.2, 0.3]))
        times.append(now + (rng.exponential(300.0) if place == 3 else 10.0 if place == 1 else rng.exponential(180.0)))
        kinds.append(int(rng.integers(0, 4)))
        places.append(place)
        stale.append(bool(rng.random() < 0.8))
        if not (place == 3 and stale[-1]):
            heapq.heappush(pending, times[-1])
        due = 0
        while pending and pending[0] <= now:
            heapq.heappop(pending)
            due += 1
        pops.append(due + (len(pending) if i == n - 1 else 0))  # the end: all popped
    return times, kinds, pops, places, stale


def test_the_wheel_drops_stale_timers_over_a_long_run():
    """Patience timers (exponential delays after a moving clock, some beyond the wheel's 64
    buckets) with after-call work and other events around them, popped as a run pops them:
    the same order as heapq for all events popped, and most stale timers are dropped from the
    wheel, not popped."""
    times, kinds, pops, places, stale = _timer_run(np.random.default_rng(8), 30_000)
    order = _heap.heap_order(times, kinds, pops, places, wheel_width=300.0 / 8, stale=stale)
    missing = _check_wheel_order(order, times, kinds, pops, places, stale)
    timers = sum(1 for p, s in zip(places, stale) if p == 3 and s)
    assert 0.9 * timers < len(missing) <= timers  # nearly all stale timers were in the wheel's range


def test_the_wheel_moves_on_after_a_quiet_spell():
    """A day without events between two busy hours: the empty wheel moves on to the clock when
    the next timer is set, so the second hour's stale timers are dropped too (they would all go
    to the heap if the wheel stayed at the first hour's buckets)."""
    rng = np.random.default_rng(9)
    first = _timer_run(rng, 8_000)
    second = _timer_run(rng, 8_000, start=max(first[0]) + 86_400.0)
    times, kinds, pops, places, stale = (a + b for a, b in zip(first, second))
    order = _heap.heap_order(times, kinds, pops, places, wheel_width=300.0 / 8, stale=stale)
    missing = _check_wheel_order(order, times, kinds, pops, places, stale)
    late = [i for i in range(8_000, 16_000) if places[i] == 3 and stale[i]]
    assert sum(i in missing for i in late) > 0.9 * len(late)


def test_the_heap_orders_times_by_value_across_magnitudes():
    """Times are compared as integers (their bit patterns): zero of either sign, subnormals,
    huge times and infinity must still order like the numbers, ties on (time, kind) by push order."""
    times = [math.inf, 1e300, 0.0, -0.0, 5e-324, 1.0, 1.0 + 2 ** -52, 1.0, 3e10, 0.0, 2.5e-308]
    kinds = [0, 1, 2, 1, 0, 3, 0, 0, 1, 1, 2]
    assert _heap.heap_order(times, kinds) == sorted(range(len(times)), key=lambda i: (times[i], kinds[i], i))


# ---------------------------------------------------------------- _random

EMPIRICAL = [3.0, 7.5, 1.25, 9.0, 0.5, 42.0]
CASES = [
    ("infinite", 0.0, 0.0),
    ("exponential", 180.0, 0.0),
    ("deterministic", 30.0, 0.0),
    ("uniform", 10.0, 50.0),
    ("lognormal", 5.0, 0.6),
    ("gamma", 0.7, 200.0),  # shape < 1 and > 1 take different paths in numpy
    ("gamma", 3.5, 60.0),
    ("weibull", 1.5, 120.0),
    ("empirical", 0.0, 6.0),
    ("empirical", 2.0, 3.0),  # a sub-range of the table, as compile lays out several
    ("empirical", 5.0, 1.0),
    ("triangular", 10.0, 40.0, 200.0),
    ("triangular", 10.0, 10.0, 50.0),  # mode at low
    ("triangular", 10.0, 50.0, 50.0),  # mode at high
]


@pytest.mark.parametrize("name,p0,p1,p2", [case + (0.0,) * (4 - len(case)) for case in CASES])
def test_sampling_is_draw_for_draw_the_reference(name, p0, p1, p2):
    # every distribution code is covered; a mixture (component rows after it) through whole
    # runs, core against SimPy, in test_distributions_more.py
    assert {case[0] for case in CASES} == set(D) - {"mixture"}
    fast, slow = np.random.PCG64(2026), np.random.PCG64(2026)
    rng = np.random.Generator(slow)
    drawn = _random.sample_many(D[name], p0, p1, EMPIRICAL, fast, 5000, p2)
    expected = [sample(D[name], p0, p1, EMPIRICAL, rng, p2) for _ in range(5000)]
    np.testing.assert_array_equal(drawn, expected)
    # the same number of raw draws spent: the streams are at the same place
    assert fast.random_raw() == slow.random_raw()


def test_sampling_tells_streams_apart():
    a = _random.sample_many(D["exponential"], 1.0, 0.0, [], np.random.PCG64(1), 10)
    b = _random.sample_many(D["exponential"], 1.0, 0.0, [], np.random.PCG64(2), 10)
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------- _arrivals


def reference_times(rates, start, count, slot, repeat, horizon, seed, t, n):
    """``arrival_times`` done with the Python twin ``next_arrival``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    out = []
    while len(out) < n:
        t = next_arrival(rng, rates, start, count, slot, repeat, horizon, t)
        out.append(t)
        if not t < horizon:
            break
    return out


def profiles():
    """Random profiles: repeating or not, with zero-rate slots, all zero, one slot, offsets."""
    rng = np.random.default_rng(7)
    for case in range(40):
        count = int(rng.integers(1, 30))
        start = int(rng.integers(0, 5))
        rates = rng.exponential(1 / 60, start + count + 3)  # calls per second
        rates[rng.random(rates.size) < 0.3] = 0.0  # zero slots
        if case % 10 == 0:
            rates[start:start + count] = 0.0  # nothing ever arrives
        slot = float(rng.choice([900.0, 1800.0, 3600.0, 21600.0, 333.3]))
        repeat = bool(case % 2)
        horizon = float(slot * count * rng.choice([0.5, 1.0, 3.7]))
        t0 = float(rng.choice([0.0, slot * 0.5, slot]))
        yield rates.tolist(), start, count, slot, repeat, horizon, case, t0


@pytest.mark.parametrize("profile", list(profiles()), ids=lambda p: f"case{p[6]}")
def test_arrivals_are_bit_for_bit_the_reference(profile):
    rates, start, count, slot, repeat, horizon, seed, t0 = profile
    fast = _arrivals.arrival_times(rates, start, count, slot, repeat, horizon, np.random.PCG64(seed), t0, 3000)
    expected = reference_times(rates, start, count, slot, repeat, horizon, seed, t0, 3000)
    np.testing.assert_array_equal(fast, expected)
    assert len(fast) >= 1


def test_arrivals_see_the_profile():
    one = _arrivals.arrival_times([1 / 60, 0.0], 0, 2, 3600.0, True, 86400.0, np.random.PCG64(3))
    other = _arrivals.arrival_times([0.0, 1 / 60], 0, 2, 3600.0, True, 86400.0, np.random.PCG64(3))
    assert not np.array_equal(one, other)
    assert all(int(t // 3600) % 2 == 0 for t in one[:-1])  # only in the first hour of each two


# ---------------------------------------------------------------- _stats


def test_stats_fields_match_results():
    assert _stats.CALL_FIELDS_COUNT == len(CALL_FIELDS)
    assert _stats.GROUP_FIELDS_COUNT == len(GROUP_FIELDS)
    assert _stats.INTERVAL_GROUP_FIELDS_COUNT == len(INTERVAL_GROUP_FIELDS)
    assert _stats.ENTRY_FIELDS_COUNT == len(ENTRY_FIELDS)
    assert _stats.NODE_FIELDS_COUNT == len(NODE_FIELDS)
    assert _stats.CALLER_FIELDS_COUNT == len(CALLER_FIELDS)


def random_spans(rng, n_groups, interval, horizon, n):
    """Clock spans: on and off interval edges, empty, reversed, before the warm-up, past the horizon."""
    spans = []
    for _ in range(n):
        if rng.random() < 0.3:  # on a half-interval grid: exact edges
            start, end = (float(x) * interval / 2 for x in rng.integers(0, int(2 * horizon / interval) + 4, 2))
        else:
            start = float(rng.uniform(0, horizon * 1.1))
            end = start + float(rng.exponential(interval * rng.choice([0.1, 1.0, 5.0])))
            if rng.random() < 0.05:
                end = start - 1.0
        weight = float(rng.choice([1.0, 3.0, 0.5]))
        spans.append((int(rng.integers(n_groups)), start, end, weight, str(rng.choice(["busy", "staffed"]))))
    return spans


@pytest.mark.parametrize("seed", range(12))
def test_add_clock_is_bit_for_bit_tally_clock(seed):
    rng = np.random.default_rng(seed)
    interval = float(rng.choice([900.0, 1800.0, 333.3, 0.1 * 3]))
    horizon = float(interval * rng.integers(1, 40) * rng.choice([1.0, 0.97]))
    warmup = float(rng.choice([0.0, horizon / 3]))
    n_groups = int(rng.integers(1, 4))
    n_intervals = max(1, math.ceil(horizon / interval))
    spans = random_spans(rng, n_groups, interval, horizon, 500)
    totals, by_interval = _stats.add_clock_many(n_intervals, n_groups, interval, warmup, horizon, spans)

    model = SimpleNamespace(n_intervals=n_intervals, n_types=1, n_groups=n_groups, horizon=horizon,
                            warmup=warmup, interval=interval, group_count=[0] * n_groups, group_start=[0] * n_groups, n_entries=0,
                            n_nodes=0, n_sources=1, n_channels=0, n_airings=0, n_agents=0)
    tally = Tally(model)
    for group, start, end, weight, field in spans:
        tally.clock(group, start, end, weight, field)
    np.testing.assert_array_equal(totals, tally.group_totals)
    np.testing.assert_array_equal(by_interval, tally.interval_groups)
    assert totals.sum() > 0


def test_add_clock_splits_at_interval_edges_and_the_warmup():
    totals, by_interval = _stats.add_clock_many(4, 1, 10.0, 15.0, 40.0, [(0, 5.0, 35.0, 2.0, "busy")])
    busy = GROUP_FIELDS.index("busy")
    assert totals[0, busy] == 2.0 * 20.0  # [15, 35)
    np.testing.assert_array_equal(by_interval[:, 0, INTERVAL_GROUP_FIELDS.index("busy")], [10.0, 20.0, 20.0, 10.0])
