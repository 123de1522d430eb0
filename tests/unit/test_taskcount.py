"""TaskCounts' rules, with a fake agent: what it reports, and when it stops trusting a count.

The real agent answering real pings is tested in tests/integration/test_task_counts.py.
"""

from __future__ import annotations

import threading

import pytest

from leaktui.remote import AgentError
from leaktui.taskcount import TaskCounts

pytestmark = pytest.mark.timeout(30)


class FakeAgents:
    """Processes with the agent (``tasks``) and the ones that do not answer (``busy``)."""

    def __init__(self) -> None:
        self.tasks: dict[int, object] = {}
        self.busy: set[int] = set()
        self.now = 100.0
        self.asked: list[int] = []

    def has_agent(self, pid: int) -> bool:
        return pid in self.tasks

    def ask(self, pid: int, request: dict, timeout: float) -> dict:
        assert request == {"command": "ping"}, "only the cheap request, never a heap walk"
        self.asked.append(pid)
        if pid in self.busy:
            raise AgentError(f"pid {pid}: no answer within {timeout:g} s")
        return {"ok": True, "pid": pid, "tasks": self.tasks[pid]}

    def counts(self, every: float = 5.0) -> TaskCounts:
        return TaskCounts(every, ask=self.ask, has_agent=self.has_agent, clock=lambda: self.now)


@pytest.fixture
def agents() -> FakeAgents:
    return FakeAgents()


def test_watched_processes_with_the_agent_report_their_counts(agents: FakeAgents) -> None:
    agents.tasks = {11: 3, 12: 0}
    counts = agents.counts()
    counts.watch([10, 11, 12])  # 10: no agent (a worker started without -I leaktui.agent)
    assert counts.counts() == {}, "nothing is known before the first round"
    counts.poll()
    assert counts.counts() == {11: 3, 12: 0}
    assert agents.asked == [11, 12]


def test_a_process_no_longer_watched_is_forgotten(agents: FakeAgents) -> None:
    agents.tasks = {11: 3, 12: 5}
    counts = agents.counts()
    counts.watch([11, 12])
    counts.poll()
    counts.watch([12])  # 11 ended
    assert counts.counts() == {12: 5}
    counts.poll()
    assert agents.asked[-1:] == [12]


def test_a_busy_process_keeps_its_last_count_until_it_is_stale(agents: FakeAgents) -> None:
    agents.tasks = {11: 3}
    counts = agents.counts(every=5.0)
    counts.watch([11])
    counts.poll()
    agents.busy = {11}
    agents.tasks[11] = 9
    agents.now += 10
    counts.poll()
    assert counts.counts() == {11: 3}, "one missed answer: the last count still holds"
    agents.now += counts.stale
    assert counts.counts() == {}, "a frozen count would read as growth while idle: unknown"
    agents.busy = set()
    counts.poll()
    assert counts.counts() == {11: 9}


@pytest.mark.parametrize("answer", [None, -1, "12", True, 2.5])
def test_an_answer_without_a_count_is_not_a_count(agents: FakeAgents, answer: object) -> None:
    agents.tasks = {11: answer}
    counts = agents.counts()
    counts.watch([11])
    counts.poll()
    assert counts.counts() == {}


def test_the_thread_asks_until_stopped(agents: FakeAgents) -> None:
    agents.tasks = {11: 1}
    asked = threading.Event()
    ask = agents.ask

    def ask_and_tell(pid: int, request: dict, timeout: float) -> dict:
        answer = ask(pid, request, timeout)
        if len(agents.asked) >= 3:
            asked.set()
        return answer

    counts = TaskCounts(0.01, ask=ask_and_tell, has_agent=agents.has_agent)
    counts.watch([11])
    with counts:
        assert asked.wait(10), "three rounds within 10 s"
    assert not any(t.name == "leaktui-tasks" for t in threading.enumerate())
