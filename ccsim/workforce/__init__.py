"""Workforce policies over periods (days, weeks, months) around the engines.

``run_periods`` runs one replication in periods: the engine pauses at each period's end
(``ccsim.engines.stepping``), the policies read the period's per-agent statistics and change
the roster (agents eliminated, promoted off the phones, quitting), then the run goes on. With
no policy, a run in periods is the single long run bit for bit; with the same seed, the callers
are the same whatever the policies did (common random numbers: the engine's streams are keyed
by source, the policies' draws by policy name and period). ``report_html`` writes the HTML report
of several replications pooled (``pooled``).
"""
from .errors import WorkforceError
from .growth import Fatigue, Hiring, Learning, QAMonitoring, Training
from .people import Abilities, slot_agents, with_slots
from .periods import PeriodRun, run_periods
from .pooled import pooled_summary, report_html
from .policies import Attrition, BottomElimination, Policy, Promotion, ThresholdElimination, policies_from_spec
from .ranking import KPIS, bottom_k, scores

__all__ = ["Abilities", "Attrition", "BottomElimination", "Fatigue", "Hiring", "KPIS", "Learning", "PeriodRun",
           "Policy", "Promotion", "QAMonitoring", "ThresholdElimination", "Training", "WorkforceError",
           "bottom_k", "policies_from_spec", "pooled_summary", "report_html", "run_periods", "scores",
           "slot_agents", "with_slots"]
