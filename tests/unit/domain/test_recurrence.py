import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.recurrence import occurrences

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_weekly_meeting_keeps_its_local_time_across_dst() -> None:
    first = dt.datetime(2026, 3, 16, 10, 0, tzinfo=BERLIN)  # Monday, CET (UTC+1)
    found = occurrences(
        first, "FREQ=WEEKLY;BYDAY=MO", (), utc(2026, 3, 1), utc(2026, 4, 10), "Europe/Berlin"
    )
    assert [o.astimezone(BERLIN).hour for o in found] == [10, 10, 10, 10]
    assert [o.hour for o in found] == [9, 9, 8, 8]  # UTC shifts when CEST starts on 29 March


def test_exdate_skips_one_occurrence_and_only_the_window_is_expanded() -> None:
    first = dt.datetime(2026, 1, 5, 9, 30, tzinfo=BERLIN)
    skipped = dt.datetime(2026, 1, 19, 9, 30, tzinfo=BERLIN)
    found = occurrences(
        first,
        "FREQ=WEEKLY;INTERVAL=1",
        [skipped],
        utc(2026, 1, 12),
        utc(2026, 2, 2),
        "Europe/Berlin",
    )
    assert [o.astimezone(BERLIN).day for o in found] == [12, 26]


def test_count_until_monthly_and_yearly() -> None:
    first = utc(2026, 1, 31, 12)
    assert len(occurrences(first, "FREQ=DAILY;COUNT=3", (), utc(2026, 1, 1), utc(2027, 1, 1))) == 3
    monthly = occurrences(
        first,
        "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20260501T000000Z",
        (),
        utc(2026, 1, 1),
        utc(2027, 1, 1),
    )
    assert [o.day for o in monthly] == [31, 28, 31, 30]
    assert len(occurrences(first, "FREQ=YEARLY", (), utc(2026, 1, 1), utc(2030, 1, 1))) == 4


def test_single_activities_and_bad_rules() -> None:
    when = utc(2026, 5, 1, 8)
    assert occurrences(when, "", (), utc(2026, 5, 1), utc(2026, 5, 2)) == [when]
    assert occurrences(when, "", (), utc(2026, 5, 2), utc(2026, 5, 3)) == []
    with pytest.raises(ValidationError, match="not a recurrence rule"):
        occurrences(when, "FREQ=SOMETIMES", (), utc(2026, 5, 1), utc(2026, 6, 1))
    with pytest.raises(ValidationError, match="unknown time zone"):
        occurrences(when, "FREQ=DAILY", (), utc(2026, 5, 1), utc(2026, 6, 1), "Mars/Olympus")


def test_weekday_codes_read_as_words() -> None:
    from crm_desktop.domain.recurrence import weekdays_from_words, weekdays_in_words

    assert weekdays_in_words("MO,WE,FR") == "Mon, Wed, Fri"
    assert weekdays_in_words("1TU") == "1 Tue"
    assert weekdays_in_words("") == ""
    assert weekdays_from_words("Mon, Wed, Fri") == "MO,WE,FR"
    assert weekdays_from_words("friday monday mon") == "MO,FR"
    assert weekdays_from_words("MO,WE") == "MO,WE"
    assert weekdays_from_words(weekdays_in_words("TU,TH,SU")) == "TU,TH,SU"
    with pytest.raises(ValidationError, match="not a day of the week"):
        weekdays_from_words("Mon, someday")


# ---- bounds: one line of input must not cause unbounded work -------------------------------


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=SECONDLY", "every second without an end"),
        ("FREQ=MINUTELY;INTERVAL=5", "every minute without an end"),
        ("FREQ=MINUTELY;UNTIL=20300101T000000Z", "every minute without an end"),
        ("FREQ=DAILY;COUNT=1000000", "repeats 1,000,000 times"),
    ],
)
def test_a_rule_that_cannot_end_in_reason_is_refused(rule: str, words: str) -> None:
    start = utc(2026, 1, 5, 9)
    with pytest.raises(ValidationError, match=words):
        occurrences(start, rule, (), start, start + dt.timedelta(hours=1))


def test_frequent_rules_with_an_end_in_reach_are_fine() -> None:
    start = utc(2026, 1, 5, 9)
    found = occurrences(start, "FREQ=MINUTELY;COUNT=30", (), start, start + dt.timedelta(days=1))
    assert len(found) == 30
    until = "FREQ=SECONDLY;UNTIL=20260105T090100Z"
    assert len(occurrences(start, until, (), start, start + dt.timedelta(days=1))) == 61


def test_expansion_walks_and_returns_a_bounded_number_of_repetitions() -> None:
    from crm_desktop.domain.recurrence import MAX_PER_RANGE, MAX_STEPS, expand

    # An hourly series begun a century ago, drawn for one week: the walk stops.
    old = expand(utc(1926, 1, 1), "FREQ=HOURLY", (), utc(2026, 1, 5), utc(2026, 1, 12))
    assert old.capped and old.steps <= MAX_STEPS + 1 and old.found == []
    # Hourly for a year in one range: at most MAX_PER_RANGE come back.
    year = expand(utc(2026, 1, 1), "FREQ=HOURLY", (), utc(2026, 1, 1), utc(2027, 1, 1))
    assert year.capped and len(year.found) == MAX_PER_RANGE
    # An ordinary weekly series: all of it, no cap.
    weekly = expand(utc(2026, 1, 5, 9), "FREQ=WEEKLY", (), utc(2026, 1, 1), utc(2026, 3, 1))
    assert not weekly.capped and len(weekly.found) == 8 and weekly.steps == 9
