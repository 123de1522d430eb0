"""Celery tasks that keep memory the ways real workers do, for recording labelled traces.

Each task is one scenario of ``tests/benchmarks/record_traces.py``: what it keeps, and why
that is (or is not) a leak, is in its docstring. The third-party libraries (Django,
SQLAlchemy, requests) are imported inside the task that needs them, so a worker pays only
for its own scenario. Configured from the environment like ``leakapp``: LEAKAPP_BROKER
is the broker URL, SCENARIO_HTTP the URL of a local HTTP server for the requests task.
"""

from __future__ import annotations

import ctypes
import functools
import os
import time
from typing import Any

from celery import Celery

app = Celery("scenarios")
app.conf.broker_url = os.environ["LEAKAPP_BROKER"]
app.conf.broker_connection_retry_on_startup = True
app.conf.worker_hijack_root_logger = False

_kept: list[Any] = []


@app.task(name="scenarios.keep")
def keep(kib: int) -> int:
    """The classic leak: a module-level list that every task appends to."""
    _kept.append(bytearray(kib << 10))
    return len(_kept)


@app.task(name="scenarios.keep_after")
def keep_after(kib: int, onset: float) -> int:
    """A leak that starts late: nothing is kept before ``onset`` (seconds since the epoch),
    as when a feature flag turns on a code path that caches per request."""
    if time.time() >= onset:
        _kept.append(bytearray(kib << 10))
    return len(_kept)


@app.task(name="scenarios.noop")
def noop() -> None:
    """A light task that keeps nothing."""


@app.task(name="scenarios.transient")
def transient(mib: int) -> int:
    """A big allocation, touched, then freed when the task ends: spikes, not a leak."""
    data = bytearray(mib << 20)
    data[:: 1 << 12] = b"\x01" * len(range(0, len(data), 1 << 12))
    return len(data)


@functools.lru_cache(maxsize=2000)
def _render(key: int) -> bytes:
    return key.to_bytes(8, "little") * 1024  # 8 KiB


@app.task(name="scenarios.cached")
def cached(key: int) -> int:
    """An LRU cache filling: keys drawn from 2500, at most 2000 kept. Misses grow rarer as it
    fills, so it grows fast, then slower, then stops at its bound (not a leak)."""
    return len(_render(key))


class _Node:
    def __init__(self) -> None:
        self.peer: _Node | None = None
        self.payload = bytearray(512)


@app.task(name="scenarios.cycles")
def cycles(count: int) -> int:
    """Garbage in reference cycles, freed only when the collector runs: a GC sawtooth."""
    for _ in range(count):
        a, b = _Node(), _Node()
        a.peer, b.peer = b, a
    return count


_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]


@app.task(name="scenarios.native")
def native(kib: int) -> int:
    """A native leak: memory from C's malloc, written and never freed, as a C extension
    that forgets a free() does. Python's own heap does not grow."""
    size = kib << 10
    pointer = _libc.malloc(size)
    if pointer:
        ctypes.memset(pointer, 1, size)
    return size


_django_ready = False


@app.task(name="scenarios.django_query")
def django_query(n: int) -> int:
    """Django with DEBUG = True logs every query on the connection; outside a request nothing
    resets the log, so a worker keeps them (up to Django's 9000 per connection)."""
    global _django_ready
    import django
    from django.conf import settings

    if not _django_ready:
        settings.configure(
            DEBUG=True,
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            INSTALLED_APPS=[],
        )
        django.setup()
        _django_ready = True
    from django.db import connection

    with connection.cursor() as cursor:
        # A query as long as an ORM's with a few joins and an IN list.
        cursor.execute(f"SELECT {n} /* {'report_id, ' * 250} */")
    return len(connection.queries_log)


_orm: dict[str, Any] = {}


def _account() -> Any:
    """One account loaded once and kept, as a cached tenant object often is."""
    if "account" not in _orm:
        from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
        from sqlalchemy.orm import Session, declarative_base, relationship

        # Columns, not annotations: this module's annotations are strings (PEP 563) that
        # SQLAlchemy would resolve in the module, where these names are not imported.
        Base = declarative_base()

        class Account(Base):
            __tablename__ = "account"
            id = Column(Integer, primary_key=True)
            reports = relationship("Report")

        class Report(Base):
            __tablename__ = "report"
            id = Column(Integer, primary_key=True)
            account_id = Column(Integer, ForeignKey("account.id"))
            body = Column(String)

        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        session = Session(engine, expire_on_commit=False)
        session.add(Account(id=1))
        session.commit()
        _orm.update(session=session, account=session.get(Account, 1), Report=Report)
    return _orm


@app.task(name="scenarios.orm_report")
def orm_report(n: int) -> int:
    """A SQLAlchemy session that lives as long as the worker, and a kept account whose
    ``reports`` collection holds every report made: the identity map only grows."""
    orm = _account()
    orm["account"].reports.append(orm["Report"](body=f"{n:08d}" * 128))
    orm["session"].commit()
    return len(orm["session"].identity_map)


@app.task(name="scenarios.http_get")
def http_get() -> int:
    """A requests.Session made per task and never closed. Nothing keeps it: the session,
    its pool and its socket are freed when the collector gets to them (not a leak)."""
    import requests

    session = requests.Session()
    return len(session.get(os.environ["SCENARIO_HTTP"], timeout=5).content)
