"""RFM scores and classes (domain.rfm): quintiles by cut points, the class table."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from crm_desktop.domain.rfm import (
    RFM_CLASSES,
    RULES,
    Purchases,
    quintile_cuts,
    quintile_scores,
    rfm_class,
    score_all,
)


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=60))
def test_cut_points_give_the_rank_of_each_value(values: list[int]) -> None:
    n = len(values)
    by_rank = [min(5, 1 + 5 * sum(1 for w in values if w < v) // n) for v in values]
    assert quintile_scores(values) == by_rank
    assert len(quintile_cuts(values)) == 4


def test_every_score_has_exactly_one_named_class() -> None:
    seen = set()
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                seen.add(rfm_class(r, f, m))
    assert seen == set(RFM_CLASSES)
    assert {rule.name for rule in RULES} == set(RFM_CLASSES)


def test_the_usual_classes() -> None:
    assert rfm_class(5, 5, 5) == "Champions"
    assert rfm_class(3, 3, 1) == "Loyal"
    assert rfm_class(5, 1, 1) == "New"
    assert rfm_class(3, 2, 2) == "Potential"
    assert rfm_class(1, 5, 5) == "Can't lose"
    assert rfm_class(1, 5, 2) == "At risk"
    assert rfm_class(2, 2, 5) == "Hibernating"
    assert rfm_class(1, 2, 5) == "Lost"


def test_score_all_ranks_customers_against_each_other() -> None:
    today = dt.date(2026, 11, 22)
    customers = [
        Purchases(f"c{i}", today - dt.timedelta(days=30 * i), 10 - i, 1000 * (10 - i))
        for i in range(10)
    ]
    scores = score_all(customers)
    assert scores["c0"].code == "555" and scores["c0"].name == "Champions"
    assert scores["c9"].code == "111" and scores["c9"].name == "Lost"
    assert score_all([]) == {}
