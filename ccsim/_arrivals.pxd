# The piecewise-constant Poisson arrival process of one call type, and the calls of
# one media airing (order statistics of its Poisson process).
from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport random_poisson, random_standard_exponential, random_standard_gamma


cdef struct ArrivalProfile:
    int32_t start        # into rates
    int32_t count
    int32_t repeat
    double slot          # seconds per rate
    # A replay (n_times > 0): the recorded times (shift included, sorted), repeated every
    # period seconds if period > 0; cursor = the calls rung so far (the next call's index).
    double* times
    int32_t n_times
    double period
    int64_t cursor


cdef inline double replay_arrival(double* times, int32_t count, double period, int64_t j,
                                  double t) noexcept nogil:
    """Call j of a replay, no earlier than t (the call before); INFINITY past a replay played once.

    Twin of ``ccsim.engines.arrivals.replay_arrival``: a pure function of j, so that calls
    recorded at one instant each ring.
    """
    cdef int64_t cycle
    cdef double time
    if period > 0.0:
        cycle = j // count
        time = times[j - cycle * count] + <double>cycle * period
    elif j < count:
        time = times[j]
    else:
        return INFINITY
    return time if time > t else t


cdef inline double next_arrival(ArrivalProfile* p, double* rates, bitgen_t* rng,
                                double t, double horizon) noexcept nogil:
    """Next arrival after t by inverting the piecewise-constant cumulative rate; for a replay,
    its next recorded call (``replay_arrival`` at the profile's cursor, which moves on), no
    random number drawn.

    Mirrors ``ccsim.engines.arrivals.next_arrival`` operation for operation.
    """
    cdef double e, slot_end, rate, need
    cdef long long i
    if p.n_times > 0:
        p.cursor += 1
        return replay_arrival(p.times, p.n_times, p.period, p.cursor - 1, t)
    e = random_standard_exponential(rng)
    # floor(t / slot) (the twin's): times are never negative, so truncation is the floor,
    # without the call into libm's floor
    i = <long long>(t / p.slot)
    while True:
        slot_end = (i + 1) * p.slot
        if p.repeat:  # i % count, without the division while i is in the first cycle
            rate = rates[p.start + (i if i < p.count else i % p.count)]
        elif i < p.count:
            rate = rates[p.start + i]
        else:
            return INFINITY
        if rate > 0.0:
            need = e / rate
            if t + need < slot_end:
                return t + need
            e -= rate * (slot_end - t)
        if slot_end >= horizon:
            return INFINITY
        t = slot_end
        i += 1


cdef struct AdChannel:   # a media channel: the call type it rings and its response delay
    int32_t call_type
    double delay         # fixed part (seconds)
    double shape         # gamma shape; 0 = exponential (a spike)
    double scale         # seconds


cdef inline int64_t airing_count(double mean, bitgen_t* rng) noexcept nogil:
    """N ~ Poisson(mean): the calls of one airing (numpy's ``Generator.poisson``).

    Twin of the ``rng.poisson`` in ``ccsim.engines.arrivals.airing_calls``.
    """
    return random_poisson(rng, mean)


cdef inline double ad_delay(AdChannel* c, bitgen_t* rng) noexcept nogil:
    """One response delay: fixed + scale x Gamma(shape), or x Exponential(1) for shape 0.

    Twin of ``ccsim.engines.arrivals.ad_delay``.
    """
    if c.shape > 0.0:
        return c.delay + c.scale * random_standard_gamma(rng, c.shape)
    return c.delay + c.scale * random_standard_exponential(rng)
