"""ccsim.student_t: t quantiles without scipy, against scipy's."""
import subprocess
import sys

import numpy as np
import pytest
from scipy import special

from ccsim.student_t import SERIES_MAX_DF, t_quantile, t_quantiles

DFS = sorted(set(range(1, 60)) | {99, 100, 101, 250, 511, 999, SERIES_MAX_DF, SERIES_MAX_DF + 1, 1500, 4999,
                                   10**5, 10**7})
PS = [0.5, 0.6, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995, 0.99995, 0.025, 0.005, 1e-6]


@pytest.mark.parametrize("p", PS)
def test_quantiles_agree_with_scipy(p):
    """Relative 1e-12 for p in [1e-4, 1 - 1e-4]; 1e-10 in the far tails (where F(t) - p cancels)."""
    ours = np.array([t_quantile(df, p) for df in DFS])
    rtol = 1e-12 if 1e-4 <= p <= 1 - 1e-4 else 1e-10
    np.testing.assert_allclose(ours, special.stdtrit(DFS, p), rtol=rtol, atol=1e-14)


def test_the_array_form_and_the_distribution_function_round_trip():
    df = np.array([[3, 30], [3, 3000]])
    np.testing.assert_array_equal(t_quantiles(df, 0.975), [[t_quantile(3, 0.975), t_quantile(30, 0.975)],
                                                          [t_quantile(3, 0.975), t_quantile(3000, 0.975)]])
    for df in (5, 6, 200):
        assert special.stdtr(df, t_quantile(df, 0.9)) == pytest.approx(0.9, abs=1e-14)


@pytest.mark.parametrize("df, p", [(0, 0.9), (2.5, 0.9), (-1, 0.9), (5, 0.0), (5, 1.0), (5, float("nan"))])
def test_bad_arguments_are_refused(df, p):
    with pytest.raises(ValueError):
        t_quantile(df, p)


def test_a_run_summary_does_not_import_scipy():
    """What the module is for: a `ccsim run` summary (batch means, replications) without scipy."""
    code = ("import sys; from ccsim.results import mean_halfwidth, t_halfwidth; "
            "print(mean_halfwidth([1.0, 2.0, 4.0])[1], t_halfwidth([1.0, 2.0, 4.0, 8.0])); "
            "assert not any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    mean_hw, hw = map(float, out.stdout.split())
    assert mean_hw == pytest.approx(special.stdtrit(2, 0.975) * np.std([1, 2, 4], ddof=1) / np.sqrt(3), rel=1e-12)
    assert hw == pytest.approx(special.stdtrit(3, 0.975) * np.std([1, 2, 4, 8], ddof=1) / 2, rel=1e-12)
