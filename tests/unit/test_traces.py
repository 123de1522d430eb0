"""The real traces the verdicts are measured on: each readable, labelled and long enough."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaktui.core import csvfile

REAL = Path(__file__).resolve().parent.parent / "benchmarks" / "traces" / "real"
SCENARIOS = json.loads((REAL / "scenarios.json").read_text())


def test_the_corpus_has_the_scenarios_the_verdicts_are_measured_on() -> None:
    pools = {s["pool"][1] for s in SCENARIOS.values()}
    assert pools == {"prefork", "threads", "gevent"}
    assert sum(s["leak"] for s in SCENARIOS.values()) >= 4
    assert sum(not s["leak"] for s in SCENARIOS.values()) >= 4
    assert any("--max-tasks-per-child" in s["pool"] for s in SCENARIOS.values())
    assert any(s["onset"] > 0 for s in SCENARIOS.values()), "a leak that starts late"


@pytest.mark.parametrize("label", sorted(SCENARIOS))
def test_each_trace_is_half_an_hour_or_more_at_one_second(label: str) -> None:
    scenario = SCENARIOS[label]
    rows = list(csvfile.read_csv(REAL / f"{label}.csv"))
    assert {r.role for r in rows} >= {"main"}
    subject = "child" if scenario["subject"] == "worker" else scenario["subject"]
    series = [r.sample for r in rows if r.role == subject]
    times = sorted({s.time for s in series})
    assert times[-1] - times[0] >= 30 * 60
    assert (times[-1] - times[0]) / (len(times) - 1) < 1.1  # sampled every second
    assert any(s.tasks for s in series), "the agent's task counts were recorded"
