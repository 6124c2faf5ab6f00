# The piecewise-constant Poisson arrival process of one call type.
from libc.math cimport INFINITY, floor
from libc.stdint cimport int32_t
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport random_standard_exponential


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
