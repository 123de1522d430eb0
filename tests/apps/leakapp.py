"""A small Celery app for the tests: tasks that keep memory, and tasks that do nothing.

Configured from the environment by the test harness: LEAKAPP_BROKER is the broker URL and,
for kombu's filesystem:// transport, LEAKAPP_FS the folder the workers and the tests share.
"""

import ctypes
import json
import os
import time
from collections import OrderedDict

from celery import Celery
from fsbroker import transport_options

app = Celery("leakapp")
app.conf.broker_url = os.environ["LEAKAPP_BROKER"]
app.conf.broker_connection_retry_on_startup = True
app.conf.worker_hijack_root_logger = False
if app.conf.broker_url.startswith("filesystem://"):
    app.conf.broker_transport_options = transport_options(os.environ["LEAKAPP_FS"])
    # kombu's own filesystem transport lets a reader take a half-written message, which
    # kills the worker (celery/kombu#1551); leaktui's demo ships one that writes atomically.
    app.conf.broker_transport = "leaktui.fstransport:Transport"

_kept: list[bytes] = []


@app.task(name="leakapp.hoard")
def hoard(mib: int) -> int:
    """Keep ``mib`` MiB for the life of the process: the classic global-list leak."""
    _kept.append(b"\x01" * (mib << 20))  # written, so the pages count in RSS
    return len(_kept)


@app.task(name="leakapp.noop")
def noop() -> None:
    """A light task that keeps nothing."""


@app.task(name="leakapp.keep_kib")
def keep_kib(kib: int) -> int:
    """A smaller global-list leak, for a steady rate: ``kib`` KiB kept per task."""
    _kept.append(b"\x01" * (kib << 10))
    return len(_kept)


_cache: OrderedDict[int, bytes] = OrderedDict()


@app.task(name="leakapp.cached")
def cached(key: int, kib: int, size: int) -> int:
    """A bounded LRU cache: grows while it fills, then stays (not a leak)."""
    if key in _cache:
        _cache.move_to_end(key)
    else:
        _cache[key] = b"\x01" * (kib << 10)
        if len(_cache) > size:
            _cache.popitem(last=False)
    return len(_cache)


@app.task(name="leakapp.temporary")
def temporary(mib: int) -> int:
    """A big allocation that is freed when the task ends (not a leak)."""
    data = b"\x01" * (mib << 20)
    return len(data)


@app.task(name="leakapp.pause")
def pause(seconds: float) -> None:
    """A task that takes a while, so that a child recycled after it lives long enough to see."""
    time.sleep(seconds)


class LeakyThing:
    """Instances of a known class, kept in a global: what the agent must find."""

    def __init__(self, n: int) -> None:
        self.n = n


_things: list[LeakyThing] = []


@app.task(name="leakapp.keep_things")
def keep_things(count: int) -> int:
    """Keep ``count`` LeakyThing objects for the life of the process."""
    _things.extend(LeakyThing(i) for i in range(count))
    return len(_things)


_native: list[int] = []


@app.task(name="leakapp.native_kib")
def native_kib(kib: int) -> int:
    """``kib`` KiB from C's malloc, written and never freed: memory tracemalloc never sees
    (a C extension's leak)."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    address = libc.malloc(kib << 10)
    ctypes.memset(address, 1, kib << 10)  # written, so the pages count in RSS
    _native.append(address)
    return len(_native)


@app.task(name="leakapp.busy")
def busy(rows: int) -> int:
    """A task that allocates as a web-ish task does (dicts, strings, JSON) and keeps nothing:
    what tracing slows down."""
    table = [
        {"id": i, "name": f"row {i}", "tags": ["a", "b"], "score": i * 0.5} for i in range(rows)
    ]
    return len(json.dumps(table))
