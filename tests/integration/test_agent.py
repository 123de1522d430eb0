"""The agent inside real workers: growth in the very child that ran the task, the chain of
references to a global, bad requests, recycled children, its own footprint."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import psutil
import pytest
from fsbroker import transport_options
from harness import send_task, wait_for

from leaktui.commands import main
from leaktui.protocol import ProtocolError, channel_path
from leaktui.remote import AgentError, ask, ask_broker, has_agent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("runtime_dir"),
    pytest.mark.timeout(180),
]

AGENT = ["-I", "leaktui.agent"]


def children_of(pid: int) -> list[int]:
    return sorted(c.pid for c in psutil.Process(pid).children())


def with_channels(pid: int, children: int) -> list[int]:
    """Wait until the worker's main and ``children`` pool children all listen."""

    def ready() -> list[int] | None:
        kids = children_of(pid)
        if len(kids) == children and all(has_agent(p) for p in [pid, *kids]):
            return kids
        return None

    return wait_for(ready, 60, "the agent's channels in the main process and children")


def tasks_of(pid: int) -> int:
    return ask(pid, {"command": "ping"})["tasks"]


def growth_of(pid: int, type_name: str) -> int:
    rows = ask(pid, {"command": "growth", "limit": 200})["growth"]
    return next((r["delta"] for r in rows if r["type"] == type_name), 0)


@pytest.mark.parametrize("broker_name", ["filesystem", "redis"])
def test_kept_objects_show_up_in_the_growth_of_exactly_the_child_that_ran_the_task(
    request: pytest.FixtureRequest, workers, broker_name: str
) -> None:
    broker = request.getfixturevalue("fs_broker" if broker_name == "filesystem" else "redis_broker")
    worker = workers.start(broker, ["-c", "2", "-n", f"agent-{broker_name}@%h", *AGENT])
    worker.wait_ready()
    kids = with_channels(worker.pid, 2)
    for pid in kids:
        growth_of(pid, "leakapp.LeakyThing")  # the first call counts everything: a baseline
    send_task(broker, "leakapp.keep_things", 5000)
    ran = wait_for(
        lambda: next((p for p in kids if tasks_of(p) == 1), None), 60, "a child to run the task"
    )
    other = next(p for p in kids if p != ran)
    assert growth_of(ran, "leakapp.LeakyThing") == 5000
    assert growth_of(other, "leakapp.LeakyThing") == 0
    assert growth_of(ran, "leakapp.LeakyThing") == 0  # since the last call: nothing new
    chain = ask(ran, {"command": "chain", "type": "leakapp.LeakyThing"})["chain"]
    assert chain.startswith("module leakapp")
    assert "list (_things)" in chain
    assert chain.endswith("leakapp.LeakyThing")


def test_the_command_line_gives_the_same_report(workers, fs_broker, capsys) -> None:
    worker = workers.start(fs_broker, ["-P", "threads", "-c", "2", "-n", "agent-cli@%h", *AGENT])
    worker.wait_ready()
    wait_for(lambda: has_agent(worker.pid), 60, "the main process's channel")
    send_task(fs_broker, "leakapp.keep_things", 300)
    wait_for(lambda: tasks_of(worker.pid) == 1, 60, "the task to finish")
    assert main(["objgraph", str(worker.pid), "--type", "leakapp.LeakyThing", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["pid"] == worker.pid
    assert answer["tasks"] == 1
    assert "list (_things)" in answer["chain"]
    assert answer["gc"]["garbage"] == 0
    assert main(["objgraph", str(worker.pid), "--limit", "5"]) == 0
    text = capsys.readouterr().out
    assert "GROWTH SINCE THE LAST CALL" in text
    assert "MOST COMMON TYPES" in text


def test_a_gevent_worker_answers_from_its_main_process(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-P", "gevent", "-c", "10", "-n", "agent-g@%h", *AGENT])
    worker.wait_ready()
    wait_for(lambda: has_agent(worker.pid), 60, "the main process's channel")
    growth_of(worker.pid, "leakapp.LeakyThing")
    send_task(fs_broker, "leakapp.keep_things", 700)
    wait_for(lambda: tasks_of(worker.pid) == 1, 60, "the task to finish")
    assert growth_of(worker.pid, "leakapp.LeakyThing") == 700


def test_bad_requests_get_errors_and_the_worker_carries_on(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "agent-bad@%h", *AGENT])
    worker.wait_ready()
    (child,) = with_channels(worker.pid, 1)
    path = channel_path(child)
    for raw, error in [
        (b"not json\n", "not JSON"),
        (b'{"command": "exec", "code": "1"}\n', "unknown command 'exec'"),
        (b'{"command": "chain", "type": "__import__(\'os\')"}\n', "type must be"),
        (b'{"command": "growth", "limit": 100000}\n', "limit must be"),
        (b"x" * 5000 + b"\n", "longer than 4096"),
        (b'{"command": "allocs", "seconds": 3600}\n', "seconds must be a number above 0"),
        (b'{"command": "allocs", "frames": 0}\n', "frames must be a whole number from 1"),
        (b'{"command": "allocs", "tasks": true}\n', "tasks must be a whole number"),
        (b'{"command": "allocs", "keep": "yes"}\n', "keep must be true or false"),
        (b'{"command": "result", "ticket": "../x"}\n', "result needs the ticket"),
        (b'{"command": "result", "ticket": "0123456789abcdef"}\n', "no request 0123456789abcdef"),
    ]:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(path))
            sock.sendall(raw)
            answer = json.loads(sock.makefile("rb").readline())
        assert answer["ok"] is False
        assert error in answer["error"]
    with pytest.raises(ProtocolError):  # the client checks before sending
        ask(child, {"command": "chain", "type": "a b"})
    missing = ask(child, {"command": "chain", "type": "NoSuchType"})
    assert missing["chain"] is None
    assert "no object of type NoSuchType" in missing["note"]
    assert ask(child, {"command": "ping"})["ok"]  # still serving


def test_a_worker_without_the_agent_gets_the_flag_to_add(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "agent-none@%h"])
    worker.wait_ready()
    assert not has_agent(worker.pid)
    with pytest.raises(AgentError, match=r"-I leaktui\.agent"):
        ask(worker.pid, {"command": "ping"})


def test_a_recycled_childs_channel_goes_away(workers, fs_broker, runtime_dir: Path) -> None:
    worker = workers.start(
        fs_broker, ["-c", "1", "--max-tasks-per-child", "1", "-n", "agent-recycle@%h", *AGENT]
    )
    worker.wait_ready()
    (first,) = with_channels(worker.pid, 1)
    send_task(fs_broker, "leakapp.noop")
    wait_for(lambda: not psutil.pid_exists(first), 60, "the child to be recycled")
    wait_for(lambda: not channel_path(first).exists(), 30, "its channel to be removed")
    (second,) = with_channels(worker.pid, 1)
    assert second != first
    assert ask(second, {"command": "ping"})["tasks"] == 0
    sockets = {p.name for p in next(runtime_dir.iterdir()).glob("*.sock")}
    assert sockets == {f"{worker.pid}.sock", f"{second}.sock"}


def test_a_channel_appears_only_once_it_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that finds PID.sock connects at once (has_agent, then ask): between bind()
    and listen() it would be refused, as a freshly recycled child's was on CI."""
    from leaktui.agent.channel import Channel

    path = channel_path(os.getpid())
    seen: list[bool] = []
    listen = socket.socket.listen

    def spying(sock: socket.socket, backlog: int) -> None:
        seen.append(path.exists())
        listen(sock, backlog)

    monkeypatch.setattr(socket.socket, "listen", spying)
    channel = Channel(lambda request: {"ok": True, "pong": request["command"]})
    channel.start()
    try:
        assert seen == [False]  # not there while it could not yet accept
        assert ask(os.getpid(), {"command": "ping"})["pong"] == "ping"
        assert path.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial name left
    finally:
        channel.stop()
    assert not path.exists()


def test_the_channel_folder_is_private(workers, fs_broker, runtime_dir: Path) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "agent-private@%h", *AGENT])
    worker.wait_ready()
    (child,) = with_channels(worker.pid, 1)
    folder = channel_path(child).parent
    assert folder.stat().st_mode & 0o777 == 0o700
    assert channel_path(child).stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_uid == os.getuid()


def test_five_hundred_calls_leave_the_workers_rss_flat(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "agent-flat@%h", *AGENT])
    worker.wait_ready()
    (child,) = with_channels(worker.pid, 1)
    process = psutil.Process(child)
    for _ in range(50):  # warm up: the first calls build objgraph's and the agent's state
        ask(child, {"command": "report", "limit": 20})
    before = process.memory_info().rss
    for i in range(500):
        kind = ("growth", "common", "gc", "report")[i % 4]
        ask(child, {"command": kind, "limit": 50})
    after = process.memory_info().rss
    assert after - before < 1 << 20, f"RSS grew {(after - before) / 1024:.0f} KiB"


def test_ps_shows_which_workers_have_the_agent(workers, fs_broker, capsys) -> None:
    loaded = workers.start(fs_broker, ["-c", "1", "-n", "agent-ps-yes@%h", *AGENT])
    bare = workers.start(fs_broker, ["-c", "1", "-n", "agent-ps-no@%h"])
    loaded.wait_ready()
    bare.wait_ready()
    with_channels(loaded.pid, 1)
    assert main(["ps", "--json", "--match", "agent-ps-"]) == 0
    document = json.loads(capsys.readouterr().out)
    agent = {w["worker"].split("@")[0]: w["agent"] for w in document["workers"]}
    assert agent == {"agent-ps-yes": True, "agent-ps-no": False}
    loaded_processes = next(w for w in document["workers"] if w["agent"])["processes"]
    assert all(p["agent"] for p in loaded_processes)  # the main process and its child


@pytest.mark.parametrize("broker_name", ["filesystem", "redis"])
def test_the_broker_path_gives_the_same_answer_as_the_local_one(
    request: pytest.FixtureRequest, workers, broker_name: str, monkeypatch, capsys, tmp_path
) -> None:
    broker = request.getfixturevalue("fs_broker" if broker_name == "filesystem" else "redis_broker")
    node = f"agent-via-{broker_name}@testhost"
    worker = workers.start(broker, ["-c", "2", "-n", node, *AGENT])
    worker.wait_ready()
    kids = with_channels(worker.pid, 2)
    send_task(broker, "leakapp.keep_things", 250)
    ran = wait_for(
        lambda: next((p for p in kids if tasks_of(p) == 1), None), 60, "a child to run the task"
    )
    options = transport_options(broker.env["LEAKAPP_FS"]) if "LEAKAPP_FS" in broker.env else None
    chain = {"command": "chain", "type": "leakapp.LeakyThing"}
    local = ask(ran, chain)
    for who in (node, None):  # to the worker by name, and to every worker
        via = ask_broker(broker.url, ran, chain, node=who, timeout=5, transport_options=options)
        assert via["pid"] == local["pid"] == ran
        assert via["chain"] == local["chain"]
        assert via["tasks"] == local["tasks"] == 1
    if options:
        monkeypatch.setenv("LEAKTUI_BROKER_OPTIONS", json.dumps(options))
    # The command line, with the local channel out of reach (as under systemd's PrivateTmp):
    # --broker takes over, to the node found on this host.
    monkeypatch.setenv("LEAKTUI_RUNTIME_DIR", str(tmp_path / "elsewhere"))
    argv = ["objgraph", str(ran), "--type", "leakapp.LeakyThing", "--broker", broker.url]
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chain"] == local["chain"]
    main_answer = ask_broker(
        broker.url, worker.pid, {"command": "gc"}, node=node, timeout=5, transport_options=options
    )
    assert main_answer["pid"] == worker.pid  # the main process answers for itself
    with pytest.raises(AgentError, match="not a process of this worker"):
        ask_broker(
            broker.url,
            os.getpid(),
            {"command": "ping"},
            node=node,
            timeout=5,
            transport_options=options,
        )


def test_an_unreachable_broker_and_a_silent_worker_get_their_own_messages(fs_broker) -> None:
    from harness import free_port

    with pytest.raises(AgentError, match=r"cannot reach the broker at redis://127\.0\.0\.1"):
        ask_broker(f"redis://127.0.0.1:{free_port()}/0", 1, {"command": "ping"}, timeout=2)
    options = transport_options(fs_broker.env["LEAKAPP_FS"])
    with pytest.raises(AgentError, match="worker nobody@nowhere did not answer"):
        ask_broker(
            fs_broker.url,
            1,
            {"command": "ping"},
            node="nobody@nowhere",
            timeout=1,
            transport_options=options,
        )


def test_the_debug_memory_task_logs_the_report_in_the_process_that_runs_it(
    workers, fs_broker
) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "agent-task@%h", *AGENT])
    worker.wait_ready()
    send_task(fs_broker, "leaktui.debug_memory")  # what `celery call` sends
    line = wait_for(
        lambda: next(
            (ln for ln in worker.log.read_text().splitlines() if "leaktui.debug_memory:" in ln),
            None,
        ),
        60,
        "the report in the worker's log",
    )
    (child,) = children_of(worker.pid)
    assert f"'pid': {child}" in line
    assert "'growth':" in line
    assert "'common':" in line
    assert "'allocs':" not in line  # only when asked: it takes a window
    send_task(fs_broker, "leaktui.debug_memory", 5, None, 0.5)
    line = wait_for(
        lambda: next(
            (ln for ln in worker.log.read_text().splitlines() if "'allocs':" in ln),
            None,
        ),
        60,
        "the report with allocation sites in the worker's log",
    )
    assert "'sites': [{'file':" in line
