"""The demo's Celery app: one task per kind of memory behaviour.

Configured from the environment by the launcher: LEAKTUI_DEMO_BROKER (a URL) and, for the
embedded filesystem broker, LEAKTUI_DEMO_FOLDER (where the messages live).
"""

from __future__ import annotations

import os
from collections import OrderedDict

from celery import Celery


def settings(broker: str, folder: str) -> dict:
    """The demo's Celery settings; the producer in leaktui's process uses them too."""
    conf: dict = {
        "broker_url": broker,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
    }
    if broker.startswith("filesystem://"):
        conf["broker_transport"] = "leaktui.fstransport:Transport"
        conf["broker_transport_options"] = {
            "data_folder_in": os.path.join(folder, "data"),
            "data_folder_out": os.path.join(folder, "data"),
            "control_folder": os.path.join(folder, "control"),
            "processed_folder": os.path.join(folder, "processed"),
            "polling_interval": 0.05,  # replies in ~50 ms instead of ~1 s
        }
    return conf


app = Celery("leaktui_demo")
app.conf.update(
    settings(
        os.environ.get("LEAKTUI_DEMO_BROKER", "filesystem://"),
        os.environ.get("LEAKTUI_DEMO_FOLDER", "/tmp/leaktui-demo"),
    )
)


class Report:
    """What the leaking task keeps: the type the objgraph pane will find growing."""

    def __init__(self, number: int) -> None:
        self.number = number
        # bytes(1024), not b"x" * 1024: that is folded into one shared constant at compile time.
        self.rows = [bytes(1024) for _ in range(40)]


reports: list[Report] = []
"""The classic leak: a global list that is never cleared."""


@app.task(name="demo.render_report")
def render_report(number: int) -> int:
    reports.append(Report(number))
    return len(reports)


thumbnails: OrderedDict[int, bytes] = OrderedDict()


@app.task(name="demo.thumbnail")
def thumbnail(key: int) -> int:
    """A bounded LRU cache of 300 entries of 64 KiB: fills, then stays."""
    if key in thumbnails:
        thumbnails.move_to_end(key)
    else:
        thumbnails[key] = b"\x02" * (64 << 10)
        if len(thumbnails) > 300:
            thumbnails.popitem(last=False)
    return len(thumbnails)


@app.task(name="demo.send_email")
def send_email(to: str) -> str:
    """Light and healthy."""
    return to.upper()


exports: list[object] = []


@app.task(name="demo.export_csv")
def export_csv(number: int) -> int:
    """Opens a file and never closes it: leaks file handles, not much memory."""
    handle = open(os.devnull, "rb")  # noqa: SIM115 - the leak is the point
    exports.append(handle)
    return len(exports)
