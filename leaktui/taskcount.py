"""Tasks each process has finished, asked of leaktui's agent in a background thread.

A sample's task count is what turns "+3 MiB/h" into "3.1 KiB/task, only while tasks run",
and only the agent inside the worker knows it. So a thread asks every watched process
that has the agent's channel for a ``ping`` (no heap walk; it returns the count) every few
seconds. It runs apart from the sampler: a worker too busy to answer delays no tick.

A count that could not be refreshed for a while is reported unknown, not kept: a frozen
count would read as a process that grows while idle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, TracebackType

from leaktui import remote
from leaktui.protocol import ProtocolError

#: Seconds between two rounds of asking.
DEFAULT_EVERY = 5.0
#: Seconds one process may take to answer a ping before it is skipped this round.
DEFAULT_TIMEOUT = 1.0


class TaskCounts:
    """The latest task count of each watched process that runs leaktui's agent.

    The sampler thread calls ``watch`` with the pids it sampled and reads ``counts``; the
    asking happens in this object's own thread (``start``/``stop``, or ``with``).
    """

    def __init__(
        self,
        every: float = DEFAULT_EVERY,
        timeout: float = DEFAULT_TIMEOUT,
        stale: float | None = None,
        *,
        ask: Callable[[int, dict, float], dict] = remote.ask,
        has_agent: Callable[[int], bool] = remote.has_agent,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self.timeout = timeout
        self.stale = 3 * every + timeout if stale is None else stale
        """Seconds after which a count not refreshed is reported unknown."""
        self._ask = ask
        self._has_agent = has_agent
        self._clock = clock
        self._watched: frozenset[int] = frozenset()
        # pid -> (count, when it was answered); replaced whole, never changed in place.
        self._known: Mapping[int, tuple[int, float]] = MappingProxyType({})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pids: Iterable[int]) -> None:
        """The processes to ask about from the next round on (the others are forgotten)."""
        self._watched = frozenset(pids)

    def counts(self) -> Mapping[int, int]:
        """Each watched process's count, if it was answered within ``stale`` seconds."""
        now = self._clock()
        watched = self._watched
        return {
            pid: count
            for pid, (count, when) in self._known.items()
            if pid in watched and now - when <= self.stale
        }

    def poll(self) -> None:
        """One round: ask each watched process that has the agent, one after another."""
        known = {pid: v for pid, v in self._known.items() if pid in self._watched}
        for pid in sorted(self._watched):
            if self._stop.is_set():
                break
            if not self._has_agent(pid):
                known.pop(pid, None)
                continue
            try:
                answer = self._ask(pid, {"command": "ping"}, self.timeout)
            except (remote.AgentError, ProtocolError, OSError):
                continue  # busy, ending, or not ours: keep the last count until it is stale
            tasks = answer.get("tasks")
            if isinstance(tasks, int) and not isinstance(tasks, bool) and tasks >= 0:
                known[pid] = (tasks, self._clock())
        self._known = MappingProxyType(known)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="leaktui-tasks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop asking; waits for a round in progress (at most one ``timeout``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.every)

    def __enter__(self) -> TaskCounts:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
