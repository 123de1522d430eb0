"""The Mailbox between the sampling thread and the UI: every snapshot arrives once, in order,
with one wake-up per batch, and a stalled UI cannot make it grow without bound."""

from __future__ import annotations

import threading

from tui_fakes import snapshot

from leaktui.tui.source import Mailbox


def ticks(taken) -> list[int]:
    return [s.tick for s in taken[1]]


def test_one_wake_up_per_batch_and_everything_in_order() -> None:
    woken = []
    box = Mailbox(lambda: woken.append(1))
    for tick in (1, 2, 3):
        box.put(snapshot(tick, []))
    assert len(woken) == 1  # the UI is told once; it takes the three together
    assert ticks(box.take()) == [1, 2, 3]
    assert box.take() == (False, [], [])
    box.put(snapshot(4, []))
    assert len(woken) == 2  # after a take, the next snapshot wakes it again


def test_errors_arrive_with_the_snapshots_and_a_reset_drops_what_came_before() -> None:
    box = Mailbox(lambda: None)
    box.put(snapshot(1, []))
    box.fail("cannot read /proc/42/status")
    box.reset()  # a replay jumped back: tick 1 no longer holds
    box.put(snapshot(7, []))
    reset, snapshots, errors = box.take()
    assert reset is True
    assert [s.tick for s in snapshots] == [7]
    assert errors == ["cannot read /proc/42/status"]


def test_a_stalled_ui_keeps_only_the_newest_snapshots() -> None:
    box = Mailbox(lambda: None, limit=100)
    for tick in range(1, 1001):
        box.put(snapshot(tick, []))
    assert ticks(box.take()) == list(range(901, 1001))


def test_a_sampling_thread_and_the_ui_lose_and_repeat_nothing() -> None:
    wake = threading.Event()
    box = Mailbox(wake.set)
    seen: list[int] = []

    def sample() -> None:
        for tick in range(1, 5001):
            box.put(snapshot(tick, []))

    producer = threading.Thread(target=sample)
    producer.start()
    while producer.is_alive():
        wake.wait(timeout=1)  # as the UI does: woken, then takes everything since
        wake.clear()
        seen += ticks(box.take())
    producer.join(timeout=10)
    seen += ticks(box.take())
    assert seen == list(range(1, 5001))
