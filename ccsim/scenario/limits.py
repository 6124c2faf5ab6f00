"""Bounds on every number and list of a scenario, so that a valid scenario can run.

Each limit keeps a run finite in floating point and in memory (int32 in the core,
per-interval statistics, the arrival walk over slots); messages and the JSON
Schema's field descriptions quote them.
"""
from __future__ import annotations

INT32_MAX = 2_147_483_647  # the core counts agents and lines in int32

MAX_SECONDS = 1e9  # any time or duration (about 31.7 years)
MAX_RATE = 1e9  # arrivals per ``per`` unit
MAX_INTERVALS = 1_000_000  # reporting intervals in the horizon (horizon / interval)
MAX_WORKFORCE_PERIODS = 1_000  # periods of a workforce section (a run paused, tallied per agent and policed each)
MAX_SLOTS = 1_000_000  # piecewise-profile slots crossed within the horizon (horizon / slot)
# Per-interval statistics hold ~100 bytes per (interval, call type) and per (interval, group):
# intervals x (call types + agent groups) at most this (about 400 MB).
MAX_STAT_CELLS = 4_000_000
MAX_AGENTS = 1_000_000  # agents in all groups together
MAX_CALL_TYPES = 1_000
MAX_SL_THRESHOLDS = 8  # service_level.thresholds: extra thresholds reported at once
MAX_GROUPS = 1_000
MAX_LIST_VALUES = 1_000_000  # rates of one profile; values of one empirical distribution
MAX_TOTAL_VALUES = 2_000_000  # rates, empirical values and replayed times in the whole scenario
MAX_REPLAY_CALLS = 1_000_000  # recorded times of one replayed arrival process

# Lognormal: sigma^2 = ln(1 + cv^2) lies in [1e-12, 13.8] and E[X^2] = mean^2 (1 + cv^2) <= 1e24.
# Gamma: shape = 1/cv^2 lies in [1e-6, 1e12] and scale = mean cv^2 <= 1e15: finite and non-zero.
CV_MIN, CV_MAX = 1e-6, 1e3
# Weibull: mean = scale G(1 + 1/k) and E[X^2] = scale^2 G(1 + 2/k) stay finite (G(101) ~ 9e157).
WEIBULL_SHAPE_MIN, WEIBULL_SHAPE_MAX = 0.02, 1e3
# Busyness (a gamma factor per day, mean 1): cv = 0 (off) or in [CV_MIN, 10], so shape = 1/cv^2
# lies in [0.01, 1e12] and scale = cv^2 in [1e-12, 100], where numpy's gamma sampler is exact.
BUSYNESS_CV_MAX = 10.0
WEEKDAY_FACTOR_MAX = 1e3  # a day-of-week factor multiplies a daily profile's rates
DAY = 86_400.0  # seconds in a day: weekly patterns and busyness work in whole days
PROFICIENCY_MIN, PROFICIENCY_MAX = 1e-3, 1e3  # handle time x proficiency stays <= 1e12 s

# Media schedules: each airing is one event queued at the start of a run and one row of the
# per-airing statistics; a gamma response's shape stays where numpy's sampler is exact.
MAX_AIRINGS = 100_000
MAX_CHANNELS = 1_000
RESPONSE_SHAPE_MIN, RESPONSE_SHAPE_MAX = 1e-2, 1e4
MAX_CALLS_PER_UNIT = 1e6  # expected calls per unit of spend or GRP
MAX_AMOUNT = 1e12  # spend or GRP of one airing
MAX_NAME = 64  # call-type and group names
MAX_TEXT = 10_000  # scenario name and description
MAX_LABEL = 200  # a state file's names, a call-log mapping's name (it names the fitted scenario)
MAX_LOG_DAYS = 366  # the span of a call log, first call to last (the fit keeps arrays of one value a second)
MAX_PATH = 4_096  # a CSV path
MAX_BRANCHES = 32  # branches of one IVR node
MAX_IVR_NODES = 10_000  # nodes of one IVR menu
MAX_ATTEMPTS = 1_000  # attempts of one caller (the first and its retrials)
MAX_BREAKS = 48  # breaks of one shift (each placed per agent: checked pairwise)
MAX_PRIORITY = 9  # queue priorities of callers routed by a menu: 0 (default) to 9

# A scenario's checks section (ccsim check): its expectations and replication budget.
MAX_CHECKS = 1_000  # expectations in checks.expect
MAX_CHECK_REPS = 100_000  # checks.max_reps: replications at the last look
MAX_REPS = 1_000_000  # replications of one run or study point (ccsim.replicate, a study's reps and max_reps)
CHECK_ALPHA, CHECK_MIN_REPS, CHECK_MAX_REPS = 0.05, 5, 80  # ccsim check's defaults
MIN_CHECK_ALPHA = 1e-9  # smaller: a look's two-sided level alpha/(K*m) rounds to 0 next to 1 (1e-17 was an internal error)
