import pytest

from crm_desktop.domain.hlc import ClockDriftError, HybridLogicalClock, Timestamp


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_stamps_increase_even_when_the_wall_clock_stands_still() -> None:
    clock = HybridLogicalClock("dev-a", wall_ms=FakeWall(1_000))
    stamps = [clock.now() for _ in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 5


def test_stamps_never_go_back_when_the_wall_clock_jumps_back() -> None:
    wall = FakeWall(10_000)
    clock = HybridLogicalClock("dev-a", wall_ms=wall)
    before = clock.now()
    wall.ms = 2_000
    after = clock.now()
    assert after > before


def test_text_order_is_time_order() -> None:
    early = str(Timestamp(999, 0xFFFF, "zzz"))
    late = str(Timestamp(1_000, 0, "aaa"))
    assert early < late
    assert Timestamp.parse(late) == Timestamp(1_000, 0, "aaa")


def test_receiving_a_later_stamp_moves_the_clock_past_it() -> None:
    clock = HybridLogicalClock("dev-a", wall_ms=FakeWall(1_000))
    remote = str(Timestamp(50_000, 3, "dev-b"))
    clock.receive(remote)
    assert clock.now() > remote


def test_a_stamp_far_in_the_future_is_refused() -> None:
    clock = HybridLogicalClock("dev-a", wall_ms=FakeWall(0))
    with pytest.raises(ClockDriftError, match="ahead"):
        clock.receive(str(Timestamp(6 * 60 * 1000, 0, "dev-b")))


def test_the_clock_resumes_after_its_last_stamp() -> None:
    last = str(Timestamp(5_000, 7, "dev-a"))
    clock = HybridLogicalClock("dev-a", last=last, wall_ms=FakeWall(1_000))
    assert clock.now() > last


def test_garbage_is_not_a_stamp() -> None:
    with pytest.raises(ValueError, match="not a clock stamp"):
        Timestamp.parse("yesterday")
