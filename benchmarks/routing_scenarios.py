"""Multi-skill centers of any size for the routing speed benchmarks.

``center(agents, skills)``: ``skills`` call types of equal traffic; 80 % of the agents in one
specialist group per skill (serving its own skill only), 20 % in one cross-trained group
serving every skill, which takes a call only once it has waited 10 s (an overflow rule).
Every group works two 12.5-hour shifts a day (00:00-12:30 and 12:00-00:30, half of its
agents each; so about half of all agents are on duty at a time) with three breaks each,
staggered by group; handle time exponential 180 s plus 10 s after-call work, patience
exponential 300 s. The offered load is 91 % of the on-duty agents' capacity (about 85 % occupancy
once abandonment is counted), and the
horizon (whole days) is long enough for about ``calls`` arrivals.
"""
import math

DAY = 86400
AHT = 190.0  # seconds of talk + after-call work
OCCUPANCY = 0.91
ON_DUTY_HOURS = 12.5 - 1.0  # a shift less its breaks (15 + 30 + 15 minutes)


def _shifts(count: int, g: int) -> list:
    """Two shifts of half the group each, the breaks staggered by the group's index."""
    off = 15 * (g % 4)  # minutes
    first, second = count // 2, count - count // 2
    out = []
    for start, end, agents, breaks in (("00:00", "12:30", first, (120, 330, 570)),
                                       ("12:00", "00:30", second, (840, 1050, 1290))):
        if agents:
            out.append({"start": start, "end": end, "agents": agents, "breaks": [
                {"start": _clock(b + off), "minutes": m} for b, m in zip(breaks, (15, 30, 15))]})
    return out


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def center(agents: int, skills: int, calls: float = 200_000) -> dict:
    """The scenario (plain data) of ``agents`` agents and ``skills`` call types."""
    cross = max(1, round(0.2 * agents))
    specialists = [(agents - cross) // skills + (1 if i < (agents - cross) % skills else 0) for i in range(skills)]
    if min(specialists) < 1:
        raise ValueError(f"{agents} agents are too few for {skills} skills")
    on_duty = agents * ON_DUTY_HOURS / 24
    rate = OCCUPANCY * on_duty / AHT  # calls per second, all skills together
    days = max(1, math.ceil(calls / rate / DAY))
    names = [f"skill{i + 1}" for i in range(skills)]
    groups = [{"name": f"team{i + 1}", "count": n, "serves": [names[i]], "shifts": _shifts(n, i)}
              for i, n in enumerate(specialists)]
    groups.append({"name": "cross", "count": cross, "serves": names, "proficiency": 1.1,
                   "shifts": _shifts(cross, skills)})
    return {
        "name": f"routing_{agents}x{skills}", "horizon": days * DAY, "interval": 3600,
        "call_types": [{"name": n, "arrivals": {"process": "poisson", "rate": rate / skills},
                        "handle_time": {"dist": "exponential", "mean": AHT - 10},
                        "after_call_work": {"dist": "deterministic", "value": 10},
                        "patience": {"dist": "exponential", "mean": 300}} for n in names],
        "agents": groups,
        "routing": {"overflow": [{"call_type": n, "group": "cross", "after": 10} for n in names]},
    }
