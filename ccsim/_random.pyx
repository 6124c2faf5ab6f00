# cython: language_level=3
"""Python-callable test wrapper of the sampling declared in ``_random.pxd``."""
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport int64_t
from numpy.random cimport bitgen_t

import numpy as np

from ccsim._random cimport Dist, sample


def sample_many(int code, double p0, double p1, empirical, bit_generator, int64_t n, double p2=0.0):
    """``n`` draws of distribution ``code`` from ``bit_generator`` (a numpy BitGenerator).
    A mixture needs its component rows after it: it is tested through whole runs."""
    cdef Dist d
    cdef double[::1] values = np.ascontiguousarray(empirical if len(empirical) else [0.0], dtype=np.float64)
    cdef double[::1] out = np.empty(n)
    cdef bitgen_t* rng = <bitgen_t*>PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")
    cdef int64_t i
    d.code = code
    d.p0 = p0
    d.p1 = p1
    d.p2 = p2
    d.cum = 0.0
    with bit_generator.lock:
        for i in range(n):
            out[i] = sample(&d, rng, &values[0])
    return np.asarray(out)
