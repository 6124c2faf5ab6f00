# cython: language_level=3
"""Python-callable test wrappers of the arrival processes declared in ``_arrivals.pxd``."""
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.math cimport INFINITY
from libc.stdint cimport int64_t
from numpy.random cimport bitgen_t

import numpy as np

from ccsim._arrivals cimport AdChannel, ArrivalProfile, ad_delay, airing_count, next_arrival


def arrival_times(rates, int start, int count, double slot, bint repeat, double horizon,
                  bit_generator, double t=0.0, int64_t n=1000):
    """Up to ``n`` successive arrival times from ``t``, stopping at the first past the horizon.

    Each time is ``next_arrival`` from the one before, as the core chains them;
    the last element may be ``inf`` (no arrival before the horizon).
    """
    cdef ArrivalProfile p
    cdef double[::1] r = np.ascontiguousarray(rates if len(rates) else [0.0], dtype=np.float64)
    p.n_times = 0  # a rate profile (replay_times chains a replay)
    cdef bitgen_t* rng = <bitgen_t*>PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")
    cdef double[::1] out = np.empty(n)
    cdef int64_t i = 0
    p.start = start
    p.count = count
    p.repeat = repeat
    p.slot = slot
    with bit_generator.lock:
        while i < n:
            t = next_arrival(&p, &r[0], rng, t, horizon)
            out[i] = t
            i += 1
            if not t < horizon:
                break
    return np.asarray(out[:i])


def airing_calls(bit_generator, double mean, double delay, double shape, double scale, double time,
                 double horizon):
    """One airing's calls as the core draws them: (N, the times before the horizon, in draw order).

    ``airing_count`` then N x ``ad_delay``, as ``Simulation._on_airing``; twin of
    ``ccsim.engines.arrivals.airing_calls``.
    """
    cdef AdChannel c
    cdef bitgen_t* rng = <bitgen_t*>PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")
    cdef int64_t j, n
    cdef double t
    c.call_type = 0
    c.delay = delay
    c.shape = shape
    c.scale = scale
    times = []
    with bit_generator.lock:
        n = airing_count(mean, rng)
        for j in range(n):
            t = time + ad_delay(&c, rng)
            if t < horizon:
                times.append(t)
    return n, np.array(times, dtype=np.float64)


def replay_times(times, double period, double horizon, int64_t n=1000):
    """Up to ``n`` successive calls of a replay of ``times`` (repeated every ``period`` if > 0), as the core
    chains ``next_arrival`` on a replay profile from t = 0, stopping at the first at or past the horizon."""
    cdef ArrivalProfile p
    cdef double[::1] r = np.ascontiguousarray(times, dtype=np.float64)
    cdef double[::1] out = np.empty(n)
    cdef double t = 0.0
    cdef int64_t i = 0
    p.times = &r[0]
    p.n_times = len(times)
    p.period = period
    p.cursor = 0
    while i < n:
        t = next_arrival(&p, NULL, NULL, t, horizon)
        out[i] = t
        i += 1
        if not t < horizon:
            break
    return np.asarray(out[:i])
