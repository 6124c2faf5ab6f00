# The sales funnel in the core: the order decision at an answer, the order's whole life drawn at
# once (no events: memory stays flat), and its counting by the state it reached at the cut.
# Twin of ccsim.engines.funnel (the executable statement of the draws' order); tables from
# ccsim.funnel_tables.funnel_arrays, filled by funnel_init (_funnel.pyx).
from libc.math cimport INFINITY, isnan
from libc.stdint cimport int32_t
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport random_standard_uniform

from ccsim._random cimport Dist, sample

# results.FUNNEL_FIELDS
cdef enum:
    FN_SALES_ANSWERED = 0
    FN_ORDERS = 1
    FN_ORDER_VALUE = 2
    FN_CROSS_SELLS = 3
    FN_CROSS_SELL_VALUE = 4
    FN_ATTEMPTS = 5
    FN_VERIFIED = 6
    FN_CANCELLED_BY_CUSTOMER = 7
    FN_CANCELLED_UNREACHED = 8
    FN_PENDING_VERIFICATION = 9
    FN_SHIPPED = 10
    FN_SHIPPED_VALUE = 11
    FN_AWAITING_SHIPMENT = 12
    FN_SIGNED = 13
    FN_SIGNED_VALUE = 14
    FN_REFUSED = 15
    FN_REFUSED_VALUE = 16
    FN_IN_TRANSIT = 17
    FN_COLLECTED = 18
    FN_COLLECTED_VALUE = 19
    FN_AWAITING_SETTLEMENT = 20
    FN_RETURNED = 21
    N_FUNNEL_FIELDS = 22

# results.FUNNEL_DAY_FIELDS
cdef enum:
    D_ORDERS = 0
    D_GROSS_VALUE = 1
    D_VERIFIED = 2
    D_CANCELLED = 3
    D_SHIPPED = 4
    D_SHIPPED_VALUE = 5
    D_SIGNED = 6
    D_REFUSED = 7
    D_COLLECTED = 8
    D_COLLECTED_VALUE = 9
    D_RETURNED = 10
    N_FUNNEL_DAY_FIELDS = 11

# How verification ended (Order.outcome).
cdef enum:
    V_VERIFIED = 0
    V_CANCELLED = 1      # by the customer
    V_UNREACHED = 2      # no attempt reached the customer before the last one or the deadline

# funnel_tables.STAGES: rows of Funnel.stage
cdef enum:
    S_VERIFICATION = 0
    S_RETRY = 1
    S_SHIPPING = 2
    S_DELIVERY = 3
    S_SETTLEMENT = 4
    S_RETURNS = 5

cdef struct Order:       # one order's life, times in seconds (INFINITY: never happens)
    double time          # the order (the answer)
    double value         # the product's value
    double cross_value   # the cross-sell's value (0 without one)
    double parcel        # value + cross_value
    int32_t cross        # 1 with a cross-sell
    int32_t attempts     # verification attempts made before the cut
    int32_t outcome      # V_*
    double decided       # time of the attempt that decided it
    double shipped
    double delivered
    int32_t signed       # 1 signed for, 0 refused
    double settled       # signed: collected; refused: back at the warehouse

cdef struct Funnel:      # the compiled funnel (borrowed arrays) and its statistics
    double cut           # horizon + follow days: stages at or past it are pending
    int32_t* sells       # [call type] 1 = has a funnel
    double* conversion   # [call type] base order probability
    double* type_factor  # [call type]
    double* talk_factor  # [call type] talk x this when the call ends in an order
    int32_t* value_dist  # [call type] order value row
    double* cross_p      # [call type] cross-sell probability
    int32_t* cross_dist  # [call type] cross-sell value row, -1 = none
    double* channel_factor  # [channel]
    double* wait         # wait curve: points (seconds, increasing) ...
    double* wait_factor  # ... and their factors
    int32_t n_wait       # 0 = factor 1
    double* agent_conversion  # [agent] its ability, NaN = none (the type's conversion)
    int32_t* stage       # [6] delay rows (S_*)
    double confirm
    double cancel
    int32_t max_attempts
    double deadline      # seconds after the order
    double* sign         # [1 + channel] sign-for probability, 0 = organic
    double* region_cum   # [region] cumulative shares (the last 1)
    double* region_factor
    int32_t n_regions
    Dist* dists
    double* empirical
    # statistics (arrays borrowed, zeroed by the owner): FUNNEL_FIELDS rows
    double* types        # [call type, N_FUNNEL_FIELDS]
    double* channels     # [1 + channel, N_FUNNEL_FIELDS]
    double* airings      # [airing, N_FUNNEL_FIELDS]
    double* agents       # [agent, N_FUNNEL_FIELDS]
    double* days         # [day, 1 + channel, N_FUNNEL_DAY_FIELDS]
    int32_t n_days
    int32_t n_channels


cdef int funnel_init(Funnel* f, dict arrays, dict stats, object model, list keep) except -1


cdef inline double wait_factor(Funnel* f, double wait) noexcept nogil:
    """The wait curve at ``wait`` seconds: linear between points, flat outside (1 without one)."""
    cdef int32_t j = 1
    if f.n_wait == 0:
        return 1.0
    if wait <= f.wait[0]:
        return f.wait_factor[0]
    if wait >= f.wait[f.n_wait - 1]:
        return f.wait_factor[f.n_wait - 1]
    while f.wait[j] < wait:
        j += 1
    return f.wait_factor[j - 1] + (f.wait_factor[j] - f.wait_factor[j - 1]) * (wait - f.wait[j - 1]) \
        / (f.wait[j] - f.wait[j - 1])


cdef inline double order_probability(Funnel* f, int32_t k, int32_t agent, int32_t channel,
                                     double wait) noexcept nogil:
    """p = base x type factor x channel factor x wait factor, capped at 1."""
    cdef double p = f.agent_conversion[agent]
    if isnan(p):
        p = f.conversion[k]
    p = p * f.type_factor[k]
    if channel >= 0:
        p = p * f.channel_factor[channel]
    p = p * wait_factor(f, wait)
    return p if p < 1.0 else 1.0


cdef inline void order_life(Funnel* f, bitgen_t* rng, int32_t k, int32_t channel, double t0,
                            Order* o) noexcept nogil:
    """Draw an order's whole life from its type's ("order", k) stream, in this order: value;
    cross-sell uniform (and value); verification attempts (delay, then per attempt one uniform
    and, unreached with attempts left, the retry delay); shipping delay; region uniform;
    delivery delay; sign-for uniform; settlement (signed) or returns (refused) delay."""
    cdef double u, t, nxt, p
    cdef int32_t r = 0, made = 0
    o.time = t0
    o.value = sample(&f.dists[f.value_dist[k]], rng, f.empirical)
    o.cross = random_standard_uniform(rng) < f.cross_p[k]
    o.cross_value = sample(&f.dists[f.cross_dist[k]], rng, f.empirical) if o.cross else 0.0
    o.parcel = o.value + o.cross_value
    o.shipped = INFINITY
    o.delivered = INFINITY
    o.settled = INFINITY
    o.signed = 0
    o.attempts = 0
    t = t0 + sample(&f.dists[f.stage[S_VERIFICATION]], rng, f.empirical)
    while True:
        made += 1
        if t < f.cut:  # attempt times increase: those before the cut come first
            o.attempts = made
        u = random_standard_uniform(rng)
        if u < f.confirm:
            o.outcome = V_VERIFIED
            break
        if u < f.confirm + f.cancel:
            o.outcome = V_CANCELLED
            break
        if made < f.max_attempts:
            nxt = t + sample(&f.dists[f.stage[S_RETRY]], rng, f.empirical)
            if nxt <= t0 + f.deadline:
                t = nxt
                continue
        o.outcome = V_UNREACHED
        break
    o.decided = t
    if o.outcome != V_VERIFIED:
        return
    o.shipped = t + sample(&f.dists[f.stage[S_SHIPPING]], rng, f.empirical)
    u = random_standard_uniform(rng)
    while r < f.n_regions - 1 and u >= f.region_cum[r]:
        r += 1
    o.delivered = o.shipped + sample(&f.dists[f.stage[S_DELIVERY]], rng, f.empirical)
    p = f.sign[channel + 1] * f.region_factor[r]
    o.signed = random_standard_uniform(rng) < (p if p < 1.0 else 1.0)
    o.settled = o.delivered + sample(&f.dists[f.stage[S_SETTLEMENT] if o.signed else f.stage[S_RETURNS]], rng,
                                     f.empirical)


cdef inline void add_order(Funnel* f, double* row, Order* o) noexcept nogil:
    """Count the order in a FUNNEL_FIELDS row by the state it reached at the cut."""
    row[FN_ORDERS] += 1.0
    row[FN_ORDER_VALUE] += o.value
    if o.cross:
        row[FN_CROSS_SELLS] += 1.0
        row[FN_CROSS_SELL_VALUE] += o.cross_value
    row[FN_ATTEMPTS] += o.attempts
    if o.decided >= f.cut:
        row[FN_PENDING_VERIFICATION] += 1.0
        return
    if o.outcome == V_CANCELLED:
        row[FN_CANCELLED_BY_CUSTOMER] += 1.0
        return
    if o.outcome == V_UNREACHED:
        row[FN_CANCELLED_UNREACHED] += 1.0
        return
    row[FN_VERIFIED] += 1.0
    if o.shipped >= f.cut:
        row[FN_AWAITING_SHIPMENT] += 1.0
        return
    row[FN_SHIPPED] += 1.0
    row[FN_SHIPPED_VALUE] += o.parcel
    if o.delivered >= f.cut:
        row[FN_IN_TRANSIT] += 1.0
        return
    if not o.signed:
        row[FN_REFUSED] += 1.0
        row[FN_REFUSED_VALUE] += o.parcel
        if o.settled < f.cut:
            row[FN_RETURNED] += 1.0
        return
    row[FN_SIGNED] += 1.0
    row[FN_SIGNED_VALUE] += o.parcel
    if o.settled >= f.cut:
        row[FN_AWAITING_SETTLEMENT] += 1.0
        return
    row[FN_COLLECTED] += 1.0
    row[FN_COLLECTED_VALUE] += o.parcel


cdef inline void add_day(Funnel* f, int32_t channel, double t, int32_t field, double value) noexcept nogil:
    """Add to the money flow of the day of ``t`` (nothing at or past the cut)."""
    cdef int32_t day
    if t >= f.cut:
        return
    day = <int32_t>(t / 86400.0)
    if day >= f.n_days:  # t / 86400 may round up to the cut's day
        day = f.n_days - 1
    f.days[(day * (f.n_channels + 1) + channel + 1) * N_FUNNEL_DAY_FIELDS + field] += value


cdef inline void count_order(Funnel* f, Order* o, int32_t k, int32_t channel, int32_t airing,
                             int32_t agent) noexcept nogil:
    """An order of a post-warm-up call: in the rows of its type, channel, airing and agent, and
    its events in the days' money flow."""
    add_order(f, &f.types[k * N_FUNNEL_FIELDS], o)
    add_order(f, &f.channels[(channel + 1) * N_FUNNEL_FIELDS], o)
    if airing >= 0:
        add_order(f, &f.airings[airing * N_FUNNEL_FIELDS], o)
    add_order(f, &f.agents[agent * N_FUNNEL_FIELDS], o)
    add_day(f, channel, o.time, D_ORDERS, 1.0)
    add_day(f, channel, o.time, D_GROSS_VALUE, o.parcel)
    if o.outcome == V_VERIFIED:
        add_day(f, channel, o.decided, D_VERIFIED, 1.0)
        add_day(f, channel, o.shipped, D_SHIPPED, 1.0)
        add_day(f, channel, o.shipped, D_SHIPPED_VALUE, o.parcel)
        if o.shipped < f.cut:
            add_day(f, channel, o.delivered, D_SIGNED if o.signed else D_REFUSED, 1.0)
            if o.delivered < f.cut:
                add_day(f, channel, o.settled, D_COLLECTED if o.signed else D_RETURNED, 1.0)
                if o.signed:
                    add_day(f, channel, o.settled, D_COLLECTED_VALUE, o.parcel)
    else:
        add_day(f, channel, o.decided, D_CANCELLED, 1.0)


cdef inline void count_sale(Funnel* f, int32_t k, int32_t channel, int32_t airing, int32_t agent) noexcept nogil:
    """An answered post-warm-up call of a type that sells."""
    f.types[k * N_FUNNEL_FIELDS + FN_SALES_ANSWERED] += 1.0
    f.channels[(channel + 1) * N_FUNNEL_FIELDS + FN_SALES_ANSWERED] += 1.0
    if airing >= 0:
        f.airings[airing * N_FUNNEL_FIELDS + FN_SALES_ANSWERED] += 1.0
    f.agents[agent * N_FUNNEL_FIELDS + FN_SALES_ANSWERED] += 1.0
