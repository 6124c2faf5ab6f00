# Sampling of the compiled distributions from numpy's C random routines.
from libc.math cimport INFINITY, fmod, sqrt
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
    double p2
    double cum           # a mixture component's cumulative weight (its components follow its row)


cdef inline void fill_dists(Dist* dists, object model):
    """The compiled model's distribution table (``dist_code``, ``dist_param``, ``dist_cum``, one
    row each) into ``dists``, which has room for its rows."""
    cdef Py_ssize_t i
    for i in range(len(model.dist_code)):
        dists[i].code = model.dist_code[i]
        dists[i].p0 = model.dist_param[i, 0]
        dists[i].p1 = model.dist_param[i, 1]
        dists[i].p2 = model.dist_param[i, 2]
        dists[i].cum = model.dist_cum[i]


cdef inline double sample(Dist* d, bitgen_t* rng, double* empirical) noexcept nogil:
    """One draw; the same numpy C routines that ``numpy.random.Generator`` uses.

    Twin of ``ccsim.engines.sampling.draw``: a mixture (code 8) picks its component
    (the rows after it) with one uniform, then draws it from the same stream.
    """
    cdef int32_t code = d.code
    cdef int32_t index, n
    cdef double u, width
    if code == 8:
        u = random_standard_uniform(rng)
        n = <int32_t>d.p0
        index = 1
        while index < n and u >= d[index].cum:
            index += 1
        d = d + index
        code = d.code
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
    if code == 7:  # triangular (low, mode, high) by inversion
        u = random_standard_uniform(rng)
        width = d.p2 - d.p0
        if u * width < d.p1 - d.p0:
            return d.p0 + sqrt(u * width * (d.p1 - d.p0))
        return d.p2 - sqrt((1.0 - u) * width * (d.p2 - d.p1))
    return INFINITY


cdef inline Dist* period_dist(Dist* dists, double* period_start, int32_t* period_rows, int32_t* periods,
                              int32_t k, double t) noexcept nogil:
    """Call type k's distribution for a call arriving at t: the last period starting at or
    before t's time of day (binary search; one period costs nothing). ``periods`` holds
    (first, count) per call type into ``period_start`` / ``period_rows``. Mirrors
    ``ccsim.engines.sampling.period_row``."""
    cdef int32_t first = periods[2 * k], lo = 0, hi = periods[2 * k + 1], mid
    cdef double day_time
    if hi > 1:
        day_time = fmod(t, 86400.0)
        while hi - lo > 1:  # period_start[first + lo] <= day_time < period_start[first + hi]
            mid = (lo + hi) >> 1
            if period_start[first + mid] <= day_time:
                lo = mid
            else:
                hi = mid
    return &dists[period_rows[first + lo]]
