# Sampling of the compiled distributions from numpy's C random routines.
from libc.math cimport INFINITY
from libc.stdint cimport int32_t
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport (
    random_lognormal,
    random_standard_exponential,
    random_standard_gamma,
    random_standard_uniform,
    random_weibull,
)


cdef struct Dist:
    int32_t code         # compile.DIST_CODES
    double p0
    double p1


cdef inline double sample(Dist* d, bitgen_t* rng, double* empirical) noexcept nogil:
    """One draw; the same numpy C routines that ``numpy.random.Generator`` uses.

    Twin of ``ccsim.engines.sampling.sample``.
    """
    cdef int32_t code = d.code
    cdef int32_t index
    if code == 0:
        return d.p0 * random_standard_exponential(rng)
    if code == 1:
        return d.p0
    if code == 2:
        return d.p0 + d.p1 * random_standard_uniform(rng)
    if code == 3:
        return random_lognormal(rng, d.p0, d.p1)
    if code == 4:
        return d.p1 * random_standard_gamma(rng, d.p0)
    if code == 5:
        return d.p1 * random_weibull(rng, d.p0)
    if code == 6:
        index = <int32_t>(random_standard_uniform(rng) * d.p1)
        if index >= <int32_t>d.p1:
            index = <int32_t>d.p1 - 1
        return empirical[<int32_t>d.p0 + index]
    return INFINITY
