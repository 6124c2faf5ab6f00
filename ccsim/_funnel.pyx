# cython: language_level=3
"""The funnel tables' set-up (``funnel_init``, used by the core) and a Python-callable test
wrapper of the functions declared in ``_funnel.pxd``."""
import numpy as np

cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport int32_t
from numpy.random cimport bitgen_t

from ccsim._funnel cimport (Funnel, Order, N_FUNNEL_DAY_FIELDS, N_FUNNEL_FIELDS, order_life,
                            order_probability, count_order, count_sale)
from ccsim._random cimport Dist, fill_dists

from .funnel_tables import funnel_arrays

cnp.import_array()

FUNNEL_FIELDS_COUNT = N_FUNNEL_FIELDS
FUNNEL_DAY_FIELDS_COUNT = N_FUNNEL_DAY_FIELDS


cdef double* _doubles(object a, list keep) except NULL:
    cdef cnp.ndarray arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.size == 0:
        arr = np.zeros(1)
    keep.append(arr)
    return <double*>cnp.PyArray_DATA(arr)


cdef int32_t* _ints(object a, list keep) except NULL:
    cdef cnp.ndarray arr = np.ascontiguousarray(a, dtype=np.int32)
    if arr.size == 0:
        arr = np.zeros(1, dtype=np.int32)
    keep.append(arr)
    return <int32_t*>cnp.PyArray_DATA(arr)


cdef int funnel_init(Funnel* f, dict arrays, dict stats, object model, list keep) except -1:
    """Point ``f`` at the model's funnel tables (``funnel_tables.funnel_arrays``) and the
    statistic arrays in ``stats`` (funnel_types, funnel_channels, funnel_airings, funnel_agents,
    funnel_days); ``keep`` holds every array alive as long as ``f`` is used. ``dists`` and
    ``empirical`` are the caller's."""
    f.cut = model.fn_cut
    f.sells = _ints(arrays["fn_sells"], keep)
    f.conversion = _doubles(arrays["fn_conversion"], keep)
    f.type_factor = _doubles(arrays["fn_type_factor"], keep)
    f.talk_factor = _doubles(arrays["fn_talk_factor"], keep)
    f.value_dist = _ints(arrays["fn_value_dist"], keep)
    f.cross_p = _doubles(arrays["fn_cross_p"], keep)
    f.cross_dist = _ints(arrays["fn_cross_dist"], keep)
    f.channel_factor = _doubles(arrays["fn_channel_factor"], keep)
    f.wait = _doubles(arrays["fn_wait"], keep)
    f.wait_factor = _doubles(arrays["fn_wait_factor"], keep)
    f.n_wait = len(arrays["fn_wait"])
    f.agent_conversion = _doubles(arrays["agent_conversion"], keep)
    f.stage = _ints(arrays["fn_stage_dist"], keep)
    f.confirm = model.fn_confirm
    f.cancel = model.fn_cancel
    f.max_attempts = model.fn_max_attempts
    f.deadline = model.fn_deadline
    f.sign = _doubles(arrays["fn_sign"], keep)
    f.region_cum = _doubles(arrays["fn_region_cum"], keep)
    f.region_factor = _doubles(arrays["fn_region_factor"], keep)
    f.n_regions = len(arrays["fn_region_cum"])
    f.n_channels = model.n_channels
    f.types = _borrow(stats, "funnel_types")
    f.channels = _borrow(stats, "funnel_channels")
    f.airings = _borrow(stats, "funnel_airings")
    f.agents = _borrow(stats, "funnel_agents")
    f.days = _borrow(stats, "funnel_days")
    f.n_days = stats["funnel_days"].shape[0]
    return 0


cdef double* _borrow(dict stats, str name) except NULL:
    """A statistic array's data (float64, C order, owned by ``stats``; 1 element at least)."""
    cdef cnp.ndarray arr = stats[name]
    if arr.size == 0:
        arr = np.zeros(1)
        stats["_" + name] = arr
    return <double*>cnp.PyArray_DATA(arr)


def funnel_stats(model) -> dict:
    """The zeroed funnel statistic arrays of a run of ``model`` (no days without a funnel)."""
    from .funnel_tables import funnel_days

    nf = N_FUNNEL_FIELDS
    return {
        "funnel_types": np.zeros((model.n_types, nf)),
        "funnel_channels": np.zeros((model.n_channels + 1, nf)),
        "funnel_airings": np.zeros((model.n_airings, nf)),
        "funnel_agents": np.zeros((model.n_agents, nf)),
        "funnel_days": np.zeros((funnel_days(model), model.n_channels + 1, N_FUNNEL_DAY_FIELDS)),
    }


cdef class _Tables:
    cdef Funnel f
    cdef Dist* dists
    cdef list keep
    cdef dict stats

    def __cinit__(self, model):
        cdef int n = len(model.dist_code)
        self.keep = []
        self.stats = funnel_stats(model)
        funnel_init(&self.f, funnel_arrays(model), self.stats, model, self.keep)
        dists = np.zeros(max(n, 1) * sizeof(Dist), dtype=np.uint8)
        self.keep.append(dists)
        self.dists = <Dist*>cnp.PyArray_DATA(dists)
        fill_dists(self.dists, model)
        self.f.dists = self.dists
        self.f.empirical = _doubles(model.empirical, self.keep)


def probability(model, int k, int agent, int channel, double wait):
    """The core's order probability of a type-k call answered by ``agent`` after ``wait`` s."""
    cdef _Tables t = _Tables(model)
    return order_probability(&t.f, k, agent, channel, wait)


def orders(model, bit_generator, int k, int channel, times, int airing=-1, int agent=0):
    """Draw (with the core's functions, from ``bit_generator``) and count an order of type k at
    each of ``times``: (list of each order's life as a dict, the funnel statistic arrays)."""
    cdef _Tables t = _Tables(model)
    cdef Order o
    cdef bitgen_t* rng = <bitgen_t*>PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")
    lives = []
    for t0 in times:
        order_life(&t.f, rng, k, channel, t0, &o)
        count_sale(&t.f, k, channel, airing, agent)
        count_order(&t.f, &o, k, channel, airing, agent)
        lives.append(dict(o))
    return lives, {name: a for name, a in t.stats.items() if not name.startswith("_")}
