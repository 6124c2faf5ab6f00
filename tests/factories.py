"""Small scenarios shared by the tests (valid by construction)."""

# A small single-queue scenario as YAML text (tests assert on its line numbers).
SMALL_YAML = """\
name: small
horizon: 20000
warmup: 1000
interval: 900
call_types:
  - name: inbound
    arrivals: {process: poisson, rate: 0.1}
    handle_time: {dist: exponential, mean: 60}
    patience: {dist: exponential, mean: 120}
agents:
  - name: team
    count: 8
    serves: [inbound]
"""


def single_queue(agents=100, horizon=5000, rate=0.5, handle=180, patience=300, warmup=0, name="small"):
    """One call type, Poisson arrivals, exponential handle time and patience, one team."""
    return {
        "name": name, "horizon": horizon, "warmup": warmup, "interval": 900,
        "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": rate},
                        "handle_time": {"dist": "exponential", "mean": handle},
                        "patience": {"dist": "exponential", "mean": patience}}],
        "agents": [{"name": "team", "count": agents, "serves": ["inbound"]}],
    }


def priority_pair(priority=1):
    """One agent busy with the first of two straight sales callers (t = 0, handle 10 s) until
    t = 10; the second waits from t = 1; a menu caller (1 s menu from t = 2) waits from t = 3 on
    priority level ``priority``."""
    return {
        "horizon": 100, "interval": 100,
        "call_types": [{"name": "sales", "arrivals": {"process": "replay", "times": [0, 1]},
                        "handle_time": {"dist": "deterministic", "value": 10}}],
        "agents": [{"name": "one", "count": 1, "serves": ["sales"]}],
        "entries": [{"name": "vip", "arrivals": {"process": "replay", "times": [2]}, "ivr": "fast"}],
        "ivr": [{"name": "fast", "nodes": [{"name": "hello", "duration": {"dist": "deterministic", "value": 1},
                                             "branches": [{"p": 1, "queue": "sales", "priority": priority}]}]}],
    }


def two_call_types(sales_agents=50, horizon=7200):
    """Sales (own goal 90 %) and service (the scenario-wide goal 70 %), two teams."""
    def call_type(name, rate, **extra):
        return {"name": name, "arrivals": {"process": "poisson", "rate": rate},
                "handle_time": {"dist": "exponential", "mean": 180},
                "patience": {"dist": "exponential", "mean": 120}, **extra}
    return {
        "name": "two_types", "horizon": horizon, "warmup": 900, "interval": 900,
        "service_level": {"threshold": 20, "target": 0.7},
        "call_types": [call_type("sales", 0.3, service_level_target=0.9), call_type("service", 0.2)],
        "agents": [{"name": "sales_team", "count": sales_agents, "serves": ["sales"]},
                   {"name": "all_round", "count": 40, "serves": ["sales", "service"]}],
    }


# Erlang A at scale: 189 cases (agents x load per agent x patience, thresholds cycled),
# (agents, load / agents, mean patience s, threshold s); tests and benchmarks share it.
_AGENTS = [1, 2, 5, 10, 100, 1000, 5000, 20000, 50000]
_LOADS = [0.01, 0.3, 0.8, 0.95, 1.0, 1.2, 1.5]
_PATIENCE = [1e-3, 300.0, 1e9]
_THRESHOLDS = [0.0, 20.0, 1e7]
ERLANG_A_GRID = [(c, f, p, _THRESHOLDS[i % 3]) for i, (c, f, p) in
                 enumerate((c, f, p) for c in _AGENTS for f in _LOADS for p in _PATIENCE)]


def load_experiment(name: str):
    """The shipped study script ``experiments/<name>.py`` as a module (its ``run`` and ``main``)."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A call log written from ccsim's own call records (``write_call_log``) and the mapping that reads it.
CALL_LOG_COLUMNS = {name: name for name in ("call_id", "call_type", "outcome", "agent", "queue_entry", "queue_exit",
                                            "service_start", "service_end")}


def call_log_mapping(**extra_columns):
    """The mapping (times in seconds) of ``write_call_log``'s CSV, plus ``extra_columns`` (e.g. priority)."""
    from ccsim.calllog.mapping import mapping_from_dict

    return mapping_from_dict({"name": "simulated", "time_format": "seconds",
                              "columns": {**CALL_LOG_COLUMNS, **extra_columns}, "arrival": "queue_entry",
                              "outcomes": {"served": ["answered"], "abandoned": ["abandoned"]}}, "simulated.yaml")


def write_call_log(calls, path, ivr: float = 0.0, priority=None, call_type=None):
    """ccsim's call records (``simulate(..., call_records=True).calls()``) as a CSV call log in
    seconds; ``ivr``: seconds of IVR before the queue (``ivr_entry``/``ivr_exit`` columns; a caller
    hanging up in the IVR has no queue times); ``priority``: a column of levels, one per call;
    ``call_type``: one call type for every row (a caller hanging up in the IVR has none in the records)."""
    import pandas as pd

    answered = calls["outcome"] == "answered"
    entry = (calls["arrival"] + ivr).where(calls["outcome"] != "hang_up")
    exit_ = entry + calls["wait"]
    frame = pd.DataFrame({
        "call_id": calls["call_id"], "call_type": calls["call_type"].astype(str) if call_type is None else call_type,
        "outcome": calls["outcome"].astype(str), "agent": calls["agent"].astype("string").fillna(""),
        "queue_entry": entry, "queue_exit": exit_,
        "service_start": exit_.where(answered), "service_end": (exit_ + calls["talk"]).where(answered),
    })
    if priority is not None:
        frame["priority"] = priority
    if ivr:
        frame["ivr_entry"], frame["ivr_exit"] = calls["arrival"], calls["arrival"] + ivr
    frame.to_csv(path, index=False, float_format="%.9f")
