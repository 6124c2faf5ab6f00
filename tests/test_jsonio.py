"""The one NaN-safe JSON writer: display (--json, reports) and the study store."""
import json
import math

import numpy as np

from ccsim.experiment.store_json import dumps_numbers, loads_numbers
from ccsim.jsonio import INFINITY_AS_TEXT, jsonable, to_json


def test_display_json_has_no_nan_or_infinity_tokens():
    text = to_json({"a": [math.nan, math.inf, -math.inf, np.float64(0.25)], 3: np.array([1, 2])})
    assert json.loads(text) == {"a": [None, None, None, 0.25], "3": [1, 2]}
    for token in ("NaN", "Infinity"):
        assert token not in text


def test_store_json_keeps_infinities_and_reads_them_back_bit_for_bit():
    value = {"x": [math.nan, math.inf, -math.inf, 0.1 + 0.2, np.float32(1.5)]}
    assert jsonable(value, INFINITY_AS_TEXT)["x"][:3] == [None, "Infinity", "-Infinity"]
    back = loads_numbers(dumps_numbers(value))["x"]
    assert math.isnan(back[0]) and back[1] == math.inf and back[2] == -math.inf
    assert back[3] == 0.1 + 0.2 and back[4] == 1.5
