"""Small scenarios shared by the tests (plain dicts, valid by construction)."""


def single_queue(agents=100, horizon=5000, rate=0.5, handle=180, patience=300, warmup=0, name="small"):
    """One call type, Poisson arrivals, exponential handle time and patience, one team."""
    return {
        "name": name, "horizon": horizon, "warmup": warmup, "interval": 900,
        "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": rate},
                        "handle_time": {"dist": "exponential", "mean": handle},
                        "patience": {"dist": "exponential", "mean": patience}}],
        "agents": [{"name": "team", "count": agents, "serves": ["inbound"]}],
    }
