"""Command lines and titles as workers really have them, and look-alikes that are not workers."""

from __future__ import annotations

import pytest

from leaktui.core.cmdline import expand_node, parse_argv, parse_title, redact, split_cmdline

HOST = "linode-1.example.com"


def argv(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("command", "node", "app", "pool", "concurrency"),
    [
        # The Celery 5 form, options after the sub-command in any order.
        ("celery -A proj worker -c 2 -n w1@%h -l info", f"w1@{HOST}", "proj", None, 2),
        ("celery -A proj worker -l info -n w1@%h -c 2", f"w1@{HOST}", "proj", None, 2),
        (
            "celery --app=proj worker --concurrency=4 --pool=threads",
            f"celery@{HOST}",
            "proj",
            "threads",
            4,
        ),
        # Celery 4 allowed --app after `worker`; such workers are still around.
        ("celery worker --app=proj -c 8", f"celery@{HOST}", "proj", None, 8),
        ("celery worker -A proj -P eventlet -c 1000", f"celery@{HOST}", "proj", "eventlet", 1000),
        # Glued short options and a bare node name (Celery reads `-n w1` as celery@w1).
        ("celery -A proj worker -c2 -Pgevent -n w1", "celery@w1", "proj", "gevent", 2),
        # python -m celery, with interpreter flags.
        (
            "/usr/bin/python3 -m celery -A proj worker -P solo",
            f"celery@{HOST}",
            "proj",
            "solo",
            None,
        ),
        ("python3.11 -u -X dev -m celery -A proj worker", f"celery@{HOST}", "proj", None, None),
        # supervisord / systemd with a virtualenv: the script run by its interpreter.
        (
            "/srv/app/venv/bin/python /srv/app/venv/bin/celery --app=proj.celery:app worker "
            "--loglevel=INFO --concurrency=4 -n default@%h",
            f"default@{HOST}",
            "proj.celery:app",
            None,
            4,
        ),
        (
            "/srv/app/venv/bin/celery -A proj worker -Q hipri,lopri --autoscale=10,3",
            f"celery@{HOST}",
            "proj",
            None,
            10,
        ),
        # What `celery multi` / `--detach` re-exec (the systemd unit in Celery's docs).
        (
            "/opt/venv/bin/python -m celery -A proj worker --pidfile=/var/run/celery/w1.pid "
            "--logfile=/var/log/celery/w1%I.log -n w1@host2 --executable=/opt/venv/bin/python",
            "w1@host2",
            "proj",
            None,
            None,
        ),
        # Broker options before the sub-command must not be mistaken for it.
        (
            "celery -b redis://localhost:6379/0 --workdir /srv -A proj worker",
            f"celery@{HOST}",
            "proj",
            None,
            None,
        ),
        # An unknown global option with a value is skipped, not taken for a sub-command.
        (
            "celery --custom-preload thing -A proj worker -n %n-x@%d",
            "linode-1-x@example.com",
            "proj",
            None,
            None,
        ),
    ],
)
def test_recognises_worker_command_lines(command, node, app, pool, concurrency) -> None:
    parsed = parse_argv(argv(command), HOST)
    assert parsed is not None
    assert (parsed.node, parsed.app, parsed.pool, parsed.concurrency) == (
        node,
        app,
        pool,
        concurrency,
    )


@pytest.mark.parametrize(
    "command",
    [
        "celery -A proj beat -l info",
        "celery -A proj inspect ping",
        "celery -A worker inspect stats",  # an app called `worker`
        "celery -A proj flower --port=5555",
        "celery -A proj multi start w1",  # the launcher, not a worker
        "celery --help",
        "grep celery worker",
        "tail -f /var/log/celery-worker.log",
        "python -c import celery; celery worker",
        "python manage.py runserver",
        "/usr/bin/python3 /srv/app/bin/celery-exporter --broker-url=redis://",
        "",
    ],
)
def test_rejects_look_alikes(command: str) -> None:
    assert parse_argv(argv(command), HOST) is None


def test_reads_limits_and_includes() -> None:
    parsed = parse_argv(
        argv(
            "celery -A proj worker --max-tasks-per-child 100 --max-memory-per-child=200000 "
            "-I leaktui.agent,other.mod --include third"
        ),
        HOST,
    )
    assert parsed is not None
    assert parsed.max_tasks_per_child == 100
    assert parsed.max_memory_per_child == 200000 * 1024  # Celery takes KiB
    assert parsed.includes == ("leaktui.agent", "other.mod", "third")


def test_the_last_repeated_option_wins_as_in_click() -> None:
    parsed = parse_argv(argv("celery -A proj worker -c 2 -c 6"), HOST)
    assert parsed is not None
    assert parsed.concurrency == 6


def test_parses_a_main_process_title() -> None:
    title = parse_title(
        "[celeryd: w5@vm:MainProcess] -active- (-A app worker -c 2 -n w5@%h "
        "--max-memory-per-child 5000)",
        "vm",
    )
    assert title is not None
    assert title.is_main
    assert title.node == "w5@vm"
    assert title.command is not None
    assert (title.command.node, title.command.app, title.command.concurrency) == ("w5@vm", "app", 2)
    assert title.command.max_memory_per_child == 5000 * 1024


def test_parses_a_child_title() -> None:
    title = parse_title("[celeryd: w5@vm:ForkPoolWorker-12]")
    assert title is not None
    assert not title.is_main
    assert (title.node, title.process) == ("w5@vm", "ForkPoolWorker-12")
    assert title.command is None


def test_a_main_title_without_echoed_arguments_still_names_the_node() -> None:
    title = parse_title("[celeryd: w5@vm:MainProcess] -active-")
    assert title is not None
    assert title.command is not None
    assert title.command.node == "w5@vm"


@pytest.mark.parametrize(
    "text", ["[celery beat]", "[celeryd]", "celeryd: w@h:MainProcess", "[kworker/0:1]"]
)
def test_other_bracketed_titles_are_not_worker_titles(text: str) -> None:
    assert parse_title(text) is None


def test_split_cmdline_drops_setproctitle_padding() -> None:
    raw = b"[celeryd: w1@vm:ForkPoolWorker-1]" + b"\0" * 40
    assert split_cmdline(raw) == ["[celeryd: w1@vm:ForkPoolWorker-1]"]
    assert split_cmdline(b"celery\0-A\0proj\0worker\0") == ["celery", "-A", "proj", "worker"]


def test_expand_node_matches_celery() -> None:
    assert expand_node(None, "web1.example.com") == "celery@web1.example.com"
    assert expand_node("w1@%h", "web1.example.com") == "w1@web1.example.com"
    assert expand_node("%n@%d", "web1.example.com") == "web1@example.com"


def test_redact_masks_passwords_in_urls() -> None:
    assert redact("celery -b redis://:s3cret@db:6379/0 -A p worker") == (
        "celery -b redis://:***@db:6379/0 -A p worker"
    )
    assert redact("amqp://user:pw@rabbit//") == "amqp://user:***@rabbit//"
    assert redact("celery -A proj worker") == "celery -A proj worker"
