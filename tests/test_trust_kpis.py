"""Issue 13 §5: intervals stay inside the scale of their KPI."""

from cxkpi.stats import nps_interval, wilson_interval


def test_nps_interval_clipped_to_scale():
    # 9 promoters, 0 detractors, 1 passive, n=10: NPS = 90, p=0.9, d=0,
    # variance = 0.9 - 0.81 = 0.09, margin = 1.96*100*sqrt(0.009) = 18.6 -> high 108.6 clipped to 100
    low, high = nps_interval(9, 0, 10)
    assert float(high) == 100.0
    assert round(float(low), 1) == 71.4  # 90 - 18.59
    # all detractors: NPS -100, variance 1 - 1 = 0, interval [-100, -100]
    low, high = nps_interval(0, 5, 5)
    assert (float(low), float(high)) == (-100.0, -100.0)


def test_proportion_interval_clipped_to_0_100():
    low, high = wilson_interval(5, 5)
    assert 0.0 <= float(low) and float(high) == 100.0
    low, high = wilson_interval(0, 5)
    assert float(low) == 0.0 and float(high) <= 100.0
