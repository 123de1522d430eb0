"""Which task keeps memory: RSS before and after each run, per task name, in real workers."""

from __future__ import annotations

import json

import pytest
from harness import send_task, wait_for
from test_allocs import AGENT, only_child

from leaktui.commands import main
from leaktui.remote import ask

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("runtime_dir"),
    pytest.mark.timeout(180),
]


def test_the_leaky_task_is_ranked_first_with_what_it_keeps(workers, fs_broker, capsys) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "retained@%h", *AGENT])
    worker.wait_ready()
    child = only_child(worker.pid)
    for _ in range(30):
        send_task(fs_broker, "leakapp.noop")
        send_task(fs_broker, "leakapp.keep_kib", 256)
    wait_for(lambda: ask(child, {"command": "ping"})["tasks"] == 60, 60, "60 tasks to finish")
    assert main(["tasks", str(child), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    leaky, light = answer["by_task"]
    assert leaky["task"] == "leakapp.keep_kib"
    assert leaky["runs"] == 30
    assert abs(leaky["bytes_per_run"] - 256 * 1024) <= 0.2 * 256 * 1024
    assert leaky["share"] > 0.8
    assert leaky["overlapped"] == 0  # a prefork child runs one task at a time
    assert light["task"] == "leakapp.noop"
    assert abs(light["bytes_per_run"]) < 16 * 1024
    assert main(["tasks", str(child)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[4].startswith("leakapp.keep_kib  30")
