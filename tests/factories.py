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
