"""How fast a month of call log is read and fitted (run: pytest benchmarks/test_fit_speed.py).

The target (issue 11): the bank log's 33,344 calls read, fitted and turned into a scenario
in under 10 s on the project machine. A benchmark, not a timed assertion: read the report.
"""
from pathlib import Path

from ccsim.calllog import read_log
from ccsim.calllog.fit import fit_log

BANK = Path("/work/shared/data/anonymous_bank_feb1999.tsv")
if not BANK.exists():
    BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank_feb1999.tsv"


def read_fit_write():
    log = read_log(BANK, "bank")
    return fit_log(log).scenario()


def test_read_bank_log(benchmark):
    log = benchmark.pedantic(read_log, args=(BANK, "bank"), rounds=3, iterations=1)
    assert log.rows == 33_344


def test_fit_bank_log(benchmark):
    scenario = benchmark.pedantic(read_fit_write, rounds=3, iterations=1)
    assert len(scenario["call_types"]) == 6
