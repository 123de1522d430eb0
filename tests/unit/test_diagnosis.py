"""The classic four causes, told apart by the evidence; always with the stopgap."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leaktui.core.diagnosis import Fetch, diagnose
from leaktui.core.verdict import Verdict

MIB = 1 << 20
NOW = 1_800_000_000.0
LEAK = Verdict("leak", "…", rate=30 * MIB, level=200 * MIB, since=NOW - 4 * 3600)
FD_LEAK = Verdict("leak", "…", rate=100)
STABLE = Verdict("stable", "…", rate=0.0, level=80 * MIB)


def fetches(*growths: dict[str, int], objects: list[int] | None = None, garbage=0) -> list:
    objects = objects or [100_000 + 5000 * i for i in range(len(growths) + 1)]
    baseline = Fetch(objects[0], {"dict": 9999, "list": 999})
    return [baseline] + [
        Fetch(objects[i + 1], g, garbage=garbage * (i + 1)) for i, g in enumerate(growths)
    ]


def test_nothing_growing_needs_no_diagnosis() -> None:
    assert diagnose(STABLE, None, fetches({"dict": 3})) is None


def test_a_type_that_keeps_growing_is_an_unbounded_collection() -> None:
    found = diagnose(LEAK, None, fetches({"tasks.Invoice": 500}, {"tasks.Invoice": 480}), NOW)
    assert "tasks.Invoice keeps growing" in found.cause
    assert "deque(maxlen=N)" in found.next_step


def test_growing_garbage_is_reference_cycles() -> None:
    found = diagnose(LEAK, None, fetches({}, {}, garbage=40), NOW)
    assert "reference cycles" in found.cause


def test_flat_object_counts_point_to_native_memory() -> None:
    flat = fetches({"int": 2}, {"str": 1}, objects=[100_000, 100_050, 100_080])
    found = diagnose(LEAK, None, flat, NOW)
    assert "C extension" in found.cause
    assert "memray run --native" in found.next_step


def test_growing_fds_are_resource_handles() -> None:
    found = diagnose(STABLE, FD_LEAK)
    assert "resource handles" in found.cause
    assert "with open" in found.next_step


def test_without_the_agent_it_says_what_would_tell() -> None:
    found = diagnose(LEAK, None, (), NOW)
    assert "not known yet" in found.cause
    assert "fetch objgraph" in found.next_step


def test_before_objgraph_the_task_counts_say_what_growth_follows() -> None:
    per_task = replace(LEAK, bytes_per_task=24 * 1024, follows="tasks")
    assert diagnose(per_task, None, (), NOW).cause.startswith(
        "grows by 24.0 KiB per task, only while tasks run"
    )
    idle = replace(LEAK, bytes_per_task=24 * 1024, follows="time")
    assert diagnose(idle, None, (), NOW).cause.startswith("grows while no task runs")
    assert "fetch objgraph" in diagnose(idle, None, (), NOW).next_step


def test_the_stopgap_is_derived_from_the_baseline_observed() -> None:
    """200 MiB now after 4 h at 30 MiB/h: it started at 80 MiB; 1.5 times that is 120 MiB."""
    found = diagnose(LEAK, None, (), NOW)
    assert f"--max-memory-per-child={120 * 1024}" in found.stopgap
    assert "80.0 MiB" in found.stopgap


@pytest.mark.parametrize("memory", [STABLE, None])
def test_no_stopgap_when_memory_does_not_grow(memory) -> None:
    assert diagnose(memory, FD_LEAK).stopgap is None


def test_one_fetch_after_the_baseline_is_enough_for_a_type_that_grew_a_lot() -> None:
    found = diagnose(LEAK, None, fetches({"app.Report": 250, "dict": 4}), NOW)
    assert "app.Report keeps growing" in found.cause


def test_on_a_tie_the_applications_type_is_named_not_the_list_that_holds_it() -> None:
    found = diagnose(LEAK, None, fetches({"list": 24, "app.Report": 24}), NOW)
    assert "app.Report keeps growing" in found.cause


def _allocs(sites: list[dict], traced: int, rss: int, native: bool = False) -> dict:
    """An allocs answer as the agent gives it, over a 10 s window."""
    return {
        "seconds_traced": 10.0,
        "traced": [0, traced],
        "rss": [100 * MIB, 100 * MIB + rss],
        "native": native,
        "sites": sites,
    }


def test_one_site_that_keeps_most_of_the_growth_is_named_with_its_task() -> None:
    site = {
        "file": "/srv/app/proj/tasks.py",
        "line": 42,
        "size": 10 * MIB,
        "source": "reports.append(report)",
        "task": "proj.build_report",
    }
    small = {"file": "/srv/app/proj/util.py", "line": 7, "size": MIB, "source": "x = []"}
    found = diagnose(LEAK, None, sites=_allocs([site, small], 12 * MIB, 12 * MIB))
    assert found.cause == (
        "proj/tasks.py:42 reports.append(report) keeps +3.5 GiB/h (task proj.build_report)"
    )
    assert "proj/tasks.py:42" in found.next_step


def test_rss_growth_that_python_did_not_allocate_is_native() -> None:
    found = diagnose(LEAK, None, sites=_allocs([], 80 * 1024, 20 * MIB, native=True))
    assert found.cause.startswith("RSS grew 20.0 MiB while Python's allocations grew +80.0 KiB")
    assert "memray run --native" in found.next_step


def test_sites_that_share_the_growth_name_no_line() -> None:
    sites = [
        {"file": f"/srv/app/proj/m{i}.py", "line": i, "size": MIB, "source": "..."}
        for i in range(1, 6)
    ]
    found = diagnose(LEAK, None, sites=_allocs(sites, 5 * MIB, 5 * MIB))
    assert ".py:" not in found.cause


def test_the_task_that_keeps_most_of_the_growth_is_named() -> None:
    kept = [{"task": "proj.build_report", "runs": 40, "bytes_per_run": 24 * 1024, "share": 0.97}]
    answer = {**_allocs([], 0, 5 * MIB), "by_task": kept}
    found = diagnose(LEAK, None, sites=answer)
    assert found.cause == "proj.build_report keeps 24.0 KiB a run, 97% of the growth"


def test_rss_that_malloc_keeps_freed_is_fragmentation() -> None:
    answer = _allocs([], 10 * 1024, 30 * MIB, native=True)
    answer["malloc"] = [
        {"in_use": 50 * MIB, "free": 2 * MIB, "mmapped": 0},
        {"in_use": 51 * MIB, "free": 30 * MIB, "mmapped": 0},
    ]
    found = diagnose(LEAK, None, sites=answer)
    assert "fragmentation" in found.cause
    assert "MALLOC_ARENA_MAX=2" in found.next_step


def test_a_limit_below_where_a_child_starts_is_the_recycle_every_task_trap() -> None:
    found = diagnose(LEAK, None, (), NOW, max_memory_per_child=64 * MIB)
    assert found.stopgap.startswith("--max-memory-per-child=65536 is below the 80.0 MiB")
    assert "recycled after one" in found.stopgap
    roomy = diagnose(LEAK, None, (), NOW, max_memory_per_child=400 * MIB)
    assert roomy.stopgap.startswith("meanwhile: --max-memory-per-child=")


def test_uss_that_outgrows_a_flat_rss_is_copy_on_write_even_when_stable() -> None:
    answer = _allocs([], 0, 0)
    answer["uss"] = [12 * MIB, 72 * MIB]
    answer["gc"] = {"collections": [40, 3, 2], "collected": 0, "uncollectable": 0, "frozen": 0}
    found = diagnose(STABLE, None, sites=answer)
    assert found.cause.startswith("USS grew 60.0 MiB more than RSS")
    assert "copy-on-write" in found.cause
    assert found.cause.endswith("2 full gc collections ran")
    assert "gc.freeze()" in found.next_step
    assert "--max-tasks-per-child" in found.stopgap


def test_unsharing_seen_by_the_sampler_is_copy_on_write() -> None:
    found = diagnose(STABLE, None, unshared=(48 * MIB, 100 * MIB))
    assert found.cause.startswith("USS grew 48.0 MiB more than RSS")
    assert "full gc" not in found.cause  # the sampler cannot tell


@pytest.mark.parametrize(
    "unshared",
    [
        (10 * MIB, 20 * MIB),  # under the floor, however large a share
        (20 * MIB, 100 * MIB),  # a fifth of RSS: what any child copies as it runs
    ],
)
def test_a_child_copying_a_few_pages_is_not_called_copy_on_write(unshared) -> None:
    assert diagnose(STABLE, None, unshared=unshared) is None


def test_uss_growing_with_rss_is_not_copy_on_write() -> None:
    answer = _allocs([], 60 * MIB, 60 * MIB)
    answer["uss"] = [12 * MIB, 72 * MIB]
    assert diagnose(STABLE, None, sites=answer) is None


def test_the_applications_type_is_named_before_the_dicts_that_grow_with_it() -> None:
    growth = {"dict": 3240, "proj.reports.Report": 1618, "list": 1622}
    found = diagnose(LEAK, None, fetches(growth, growth), NOW)
    assert found.cause.startswith("proj.reports.Report keeps growing")


def test_a_type_that_grows_a_little_does_not_hide_a_builtin_that_grows_a_lot() -> None:
    growth = {"bytes": 50_000, "proj.Session": 30}
    found = diagnose(LEAK, None, fetches(growth, growth), NOW)
    assert found.cause.startswith("bytes keeps growing")


def test_a_standard_library_type_is_not_taken_for_the_applications() -> None:
    growth = {"dict": 3000, "collections.OrderedDict": 900}
    found = diagnose(LEAK, None, fetches(growth, growth), NOW)
    assert found.cause.startswith("dict keeps growing")
