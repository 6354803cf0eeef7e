"""Time-zone names as calendar programs write them, resolved to IANA zones; UNTIL read
in the event's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm_desktop.domain.recurrence import normalise_until, occurrences
from crm_desktop.domain.windows_zones import WINDOWS_ZONES
from crm_desktop.domain.zones import fixed_offset_zone, resolve, safe_zone, zone_by_offsets


def test_the_windows_table_is_whole_and_every_zone_exists() -> None:
    assert len(WINDOWS_ZONES) >= 140
    for name, zone in WINDOWS_ZONES.items():
        assert resolve(name) == zone
        ZoneInfo(zone)  # every target is a real IANA zone


@pytest.mark.parametrize(
    ("tzid", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("eastern standard time", "America/New_York"),
        ('"W. Europe Standard Time"', "Europe/Berlin"),
        ("(UTC-03:00) Brasília", "America/Sao_Paulo"),
        ("Canberra, Melbourne, Sydney", "Australia/Sydney"),
        ("(UTC+10:00) Canberra, Melbourne, Sydney", "Australia/Sydney"),
        ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"),
        ("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"),
        ("custom_America/New_York", "America/New_York"),
        ("/mozilla.org/20050126_1/Europe/Paris", "Europe/Paris"),
        ("/softwarestudio.org/Olson_20011030_5/America/Chicago", "America/Chicago"),
        ("GMT", "UTC"),
        ("tzone://Microsoft/Utc", "UTC"),
        ("Nowhere Standard Time", None),
    ],
)
def test_names_as_programs_write_them(tzid: str, zone: str | None) -> None:
    assert resolve(tzid) == zone


def test_a_zone_known_by_its_rules_only() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    found = zone_by_offsets(lambda m: m.astimezone(berlin).utcoffset(), [2024], "Office")
    assert found is not None and ZoneInfo(found).utcoffset(dt.datetime(2024, 7, 1)) == (
        dt.timedelta(hours=2)
    )
    odd = dt.timezone(dt.timedelta(hours=3, minutes=17))
    assert zone_by_offsets(odd.utcoffset, [2024]) is None
    assert fixed_offset_zone(dt.timedelta(hours=-3)) == "Etc/GMT+3"
    assert fixed_offset_zone(dt.timedelta(hours=3, minutes=17)) is None


def test_a_stored_name_never_fails() -> None:
    assert safe_zone("Eastern Standard Time") == ZoneInfo("America/New_York")
    assert safe_zone("???") is dt.UTC and safe_zone("") is dt.UTC


def test_until_as_a_date_or_floating_counts_in_the_events_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = dt.datetime(2024, 11, 1, 23, 30, tzinfo=berlin)
    window = (start, start + dt.timedelta(days=30))
    floating = occurrences(start, "FREQ=DAILY;UNTIL=20241109T233000", (), *window, "Europe/Berlin")
    assert len(floating) == 9  # read as UTC it would end an hour early: 8
    dated = occurrences(start, "FREQ=DAILY;UNTIL=20241109", (), *window, "Europe/Berlin")
    assert len(dated) == 9  # the whole day of the UNTIL counts
    assert normalise_until("FREQ=DAILY;UNTIL=20241109", berlin).endswith("UNTIL=20241109T225959Z")


def test_extra_dates_alone_make_a_series() -> None:
    start = dt.datetime(2024, 9, 5, 16, tzinfo=dt.UTC)
    extra = [start + dt.timedelta(days=7 * n) for n in range(1, 4)]
    found = occurrences(start, "", (), start, start + dt.timedelta(days=60), "", extra)
    assert found == [start, *extra]
