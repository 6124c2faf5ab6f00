# The piecewise-constant Poisson arrival process of one call type, and the calls of
# one media airing (order statistics of its Poisson process).
from libc.math cimport INFINITY, floor
from libc.stdint cimport int32_t, int64_t
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport random_poisson, random_standard_exponential, random_standard_gamma


cdef struct ArrivalProfile:
    int32_t start        # into rates
    int32_t count
    int32_t repeat
    double slot          # seconds per rate


cdef inline double next_arrival(ArrivalProfile* p, double* rates, bitgen_t* rng,
                                double t, double horizon) noexcept nogil:
    """Next arrival after t by inverting the piecewise-constant cumulative rate.

    Mirrors ``ccsim.engines.arrivals.next_arrival`` operation for operation.
    """
    cdef double e = random_standard_exponential(rng)
    cdef long long i = <long long>floor(t / p.slot)
    cdef double slot_end, rate, need
    while True:
        slot_end = (i + 1) * p.slot
        if p.repeat:
            rate = rates[p.start + i % p.count]
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
