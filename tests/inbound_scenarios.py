"""Scenarios of the inbound path (entries, IVR menus, lines, queue limits, retrials)."""
import copy

# Every inbound feature at once, sized so that each outcome happens: lines below the peak
# (blocking), small queues and a shared pool (queue full, with and without a message),
# retrials after blocking and abandoning, a menu with a loop back, IVR hang-ups,
# self-service, voicemail, a menu branch that hangs up, and a call type dialled straight.
INBOUND = {
    "name": "inbound", "horizon": 14400, "warmup": 900, "interval": 900, "lines": 18,
    "service_level": {"threshold": 20},
    "call_types": [
        {"name": "sales", "arrivals": {"process": "piecewise", "rates": [0.02, 0.06, 0.03], "slot": 3600},
         "handle_time": {"dist": "exponential", "mean": 180},
         "patience": {"dist": "exponential", "mean": 60}, "queue_capacity": 4,
         "retrials": {"blocked": 0.5, "abandoned": 0.4, "delay": {"dist": "exponential", "mean": 300},
                      "max_attempts": 4}},
        {"name": "service", "handle_time": {"dist": "lognormal", "mean": 240, "cv": 0.8},
         "patience": {"dist": "exponential", "mean": 120}, "queue_full_message": 10,
         "after_call_work": {"dist": "exponential", "mean": 15}},
        {"name": "complaints", "handle_time": {"dist": "exponential", "mean": 300},
         "patience": {"dist": "deterministic", "value": 240}},
    ],
    "queue_pools": [{"name": "back", "capacity": 2, "call_types": ["service", "complaints"]}],
    "agents": [{"name": "front", "count": 9, "serves": ["sales", "service"]},
               {"name": "back", "count": 3, "serves": ["complaints", "service"], "proficiency": 1.1}],
    "entries": [{"name": "hotline", "arrivals": {"process": "poisson", "rate": 0.06}, "ivr": "main",
                 "retrials": {"blocked": 0.6, "abandoned": 0.5, "delay": {"dist": "uniform", "low": 60, "high": 600},
                              "max_attempts": 3}}],
    "ivr": [{"name": "main", "patience": {"dist": "exponential", "mean": 90}, "nodes": [
        {"name": "welcome", "duration": {"dist": "deterministic", "value": 12}, "branches": [
            {"p": 0.45, "queue": "sales"}, {"p": 0.3, "node": "support"}, {"p": 0.1, "exit": "self_service"},
            {"p": 0.05, "exit": "hang_up"}, {"p": 0.1, "exit": "voicemail"}]},
        {"name": "support", "duration": {"dist": "exponential", "mean": 20}, "branches": [
            {"p": 0.6, "queue": "service"}, {"p": 0.3, "queue": "complaints"}, {"p": 0.1, "node": "welcome"}]},
    ]}],
}


def with_(scenario, **changes):
    out = copy.deepcopy(scenario)
    out.update(changes)
    return out


def menu_only(patience_mean=None, horizon=200_000.0, rate=0.5):
    """An entry whose menu ends every call itself (no queue): for the absorbing-chain check.

    Node durations are deterministic (welcome, 8 s) and exponential (orders, mean 30 s);
    a loop back from 'orders' to 'welcome'.
    """
    tree = {"name": "menu", "nodes": [
        {"name": "welcome", "duration": {"dist": "deterministic", "value": 8}, "branches": [
            {"p": 0.5, "node": "orders"}, {"p": 0.3, "exit": "self_service"}, {"p": 0.2, "exit": "voicemail"}]},
        {"name": "orders", "duration": {"dist": "exponential", "mean": 30}, "branches": [
            {"p": 0.6, "exit": "self_service"}, {"p": 0.25, "exit": "hang_up"}, {"p": 0.15, "node": "welcome"}]},
    ]}
    if patience_mean is not None:
        tree["patience"] = {"dist": "exponential", "mean": patience_mean}
    return {
        "name": "menu_only", "horizon": horizon, "interval": 3600,
        "call_types": [{"name": "unused", "arrivals": {"process": "poisson", "rate": 1e-9},
                        "handle_time": {"dist": "exponential", "mean": 60}}],
        "agents": [{"name": "a", "count": 1, "serves": ["unused"]}],
        "entries": [{"name": "line", "arrivals": {"process": "poisson", "rate": rate}, "ivr": "menu"}],
        "ivr": [tree],
    }


def retrial_queue(rate, agents, lines, handle, patience, p_blocked, p_abandoned, delay, horizon, warmup):
    """One call type dialled straight: M/M/c with lines, exponential patience and retrials
    (exponential delay), attempts practically unlimited: the chain ccsim.markov solves."""
    return {
        "name": "retrial", "horizon": horizon, "warmup": warmup, "interval": horizon / 20, "lines": lines,
        "service_level": {"threshold": 0},  # answered within 0 s: answered at once
        "call_types": [{"name": "calls", "arrivals": {"process": "poisson", "rate": rate},
                        "handle_time": {"dist": "exponential", "mean": handle},
                        "patience": {"dist": "exponential", "mean": patience},
                        "retrials": {"blocked": p_blocked, "abandoned": p_abandoned,
                                     "delay": {"dist": "exponential", "mean": delay}, "max_attempts": 1000}}],
        "agents": [{"name": "a", "count": agents, "serves": ["calls"]}],
    }


# The media schedule on top: a TV channel ringing the hotline (through its menu) and a web
# channel ringing sales straight.
MEDIA = {"channels": [
    {"name": "tv", "entry": "hotline", "calls_per_unit": 0.004,
     "response": {"kind": "gamma", "delay": 60, "mean": 600, "shape": 2}},
    {"name": "web", "call_type": "sales", "calls_per_unit": 0.002, "response": {"kind": "spike", "decay": 300}}],
    "airings": [{"time": 3000, "channel": "tv", "spend": 40000}, {"time": 7200, "channel": "web", "spend": 60000},
                {"time": 9000, "channel": "tv", "spend": 25000}]}
INBOUND_MEDIA = with_(INBOUND, media=MEDIA)


# Opening hours, voicemail callbacks, virtual hold and announcements on top of the inbound
# scenario, over 30 hours from a Friday midnight: closed Friday night until 07:00 and from
# 19:00 (voicemails, called back at the next opening; those of Friday evening wait for
# Saturday 09:00, after the horizon: served while draining, pending at a cut), sales offers
# callbacks (some unanswered, retried, some failing), service announces its wait.
def callbacks_scenario(closed=None):
    s = copy.deepcopy(INBOUND_MEDIA)
    s.update(horizon=108000, interval=3600, warmup=0, name="callbacks")
    night, day, evening = [0.1] * 7, [1.0] * 12, [0.2] * 5  # by hour of the day
    s["call_types"][0]["arrivals"] = {"process": "piecewise", "slot": 3600,
                                      "rates": [0.02 * f for f in night + day + evening]}
    s["entries"][0]["arrivals"] = {"process": "piecewise", "slot": 3600,
                                   "rates": [0.06 * f for f in night + day + evening]}
    s["call_types"][0]["callback"] = {"offer_after": 30, "accept": 0.6, "answer": 0.7, "ring": 20,
                                      "max_attempts": 2, "retry_delay": 300, "target": 600}
    s["call_types"][1]["announcement"] = {"threshold": 30, "patience_factor_long": 0.6,
                                          "patience_factor_short": 1.5}
    s["call_types"][1]["callback"] = {"answer": 0.8, "ring": 25, "max_attempts": 3, "retry_delay": 900,
                                      "target": 3600}
    s["agents"][0]["count"] = 8
    if closed and closed["action"] == "forward":  # an on-duty queue, rung only while closed
        s["call_types"].append({"name": "oncall", "handle_time": {"dist": "exponential", "mean": 200},
                                "patience": {"dist": "exponential", "mean": 150}})
        s["agents"][1]["serves"] = ["complaints", "service", "oncall"]
    s["hours"] = {"start_weekday": "friday",
                  "open": {"friday": [["07:00", "12:00"], ["12:00", "19:00"]], "saturday": [["09:00", "12:00"]]},
                  "closed": closed or {"action": "voicemail", "duration": 30}}
    s["voicemail"] = {"call_type": "service"}
    return s


CALLBACKS = callbacks_scenario()
CALLBACKS_FORWARD = callbacks_scenario({"action": "forward", "call_type": "oncall"})
CALLBACKS_MESSAGE = callbacks_scenario({"action": "message", "message": 15})


def everything():
    """Every inbound feature together, for the engines' bit-for-bit comparison: the menu,
    lines, queue limits and retrials of INBOUND, the media schedule, opening hours with
    voicemail callbacks, virtual hold and announcements (CALLBACKS), queue priorities from the
    menu, a replayed direct number
    (with ties and a repeat), a mixture patience (some hang up at once), a triangular ACW and
    handle times by period of the day."""
    s = callbacks_scenario()
    s["call_types"][2]["arrivals"] = {"process": "replay", "times": [100, 100, 950, 2000, 2000, 2000, 3300],
                                      "repeat_every": 3600}
    s["call_types"][0]["patience"] = {"dist": "mixture", "components": [
        {"weight": 0.05, "dist": {"dist": "deterministic", "value": 0}},
        {"weight": 0.95, "dist": {"dist": "exponential", "mean": 60}}]}
    s["call_types"][1]["after_call_work"] = {"dist": "triangular", "low": 5, "mode": 10, "high": 40}
    welcome = s["ivr"][0]["nodes"][0]["branches"]
    welcome[0]["priority"] = 2  # menu callers to sales go before straight ones
    support = s["ivr"][0]["nodes"][1]["branches"]
    support[1]["priority"] = 1
    s["call_types"][0]["handle_time"] = {"by_period": [
        {"start": "00:00", "dist": {"dist": "exponential", "mean": 180}},
        {"start": "02:00", "dist": {"dist": "lognormal", "mean": 240, "cv": 0.9}}]}
    return s


EVERYTHING = everything()
