"""The answers, computed inside the worker process: objgraph growth and types, a chain of
back-references, gc statistics, tasks finished, and (in ``allocs``) allocation sites.

Nothing here runs until a request arrives. The only state kept between requests is the
peak count per type name (strings and ints, for growth); objects that were counted or
followed are let go before the answer leaves.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import types

import objgraph

from leaktui.agent import allocs, pending, retained
from leaktui.protocol import MAX_DEPTH

_peak: dict[str, int] = {}
_lock = threading.Lock()  # one walk of the heap at a time
tasks_done = 0
"""Tasks this process has finished; counted by the agent's task_postrun handler."""


def answer(request: dict) -> dict:
    """Run one checked request; the answer says what it cost. Only the commands that walk
    the heap take turns; a ping or a window never waits behind a walk."""
    began = time.perf_counter()
    command = request["command"]
    if command == "result":  # of an allocs window started through the broker
        return pending.result(request["ticket"])
    if command == "allocs":
        body = allocs.sites(request, lambda: tasks_done, _task_bodies)
        if body.get("ok") is False:
            return body
    elif command == "ping":
        body = {"allocs": allocs.state()}
    elif command == "tasks":
        body = retained.summary(request["limit"])
    elif command == "gc":
        body = {"gc": _gc()}
    else:
        with _lock:
            body = _walk(request)
    return _answered(began, body)


def _task_bodies() -> allocs.Bodies:
    """Where each registered task's function is: file → (first line, last line, name)."""
    from celery import current_app

    found: allocs.Bodies = {}
    for name, task in list(current_app.tasks.items()):
        code = getattr(getattr(task, "run", None), "__code__", None)
        if code is None or name.startswith("celery."):
            continue
        lines = [line for *_, line in code.co_lines() if line is not None]
        if lines:
            found.setdefault(code.co_filename, []).append((min(lines), max(lines), name))
    return found


def _walk(request: dict) -> dict:
    """The commands that walk the heap with objgraph."""
    command = request["command"]
    if command == "growth":
        return _growth(request["limit"])
    if command == "common":
        return {"common": _common(request["limit"])}
    if command == "chain":
        return _chain(request["type"], request["depth"])
    # report: what the debug_memory task logs
    body = _growth(request["limit"])
    body["common"] = _common(request["limit"])
    if "type" in request:
        body["chain"] = _chain(request["type"], request["depth"])["chain"]
    return body


def _answered(began: float, body: dict) -> dict:
    return {
        "ok": True,
        "pid": os.getpid(),
        "tasks": tasks_done,
        "seconds": round(time.perf_counter() - began, 4),
        **body,
    }


def _growth(limit: int) -> dict:
    """Types whose count rose above their peak since the last call, largest rise first."""
    stats = {_short(n): c for n, c in objgraph.typestats(shortnames=False).items()}
    rows = []
    for name, count in stats.items():
        delta = count - _peak.get(name, 0)
        if delta > 0:
            rows.append((name, count, delta))
            _peak[name] = count
    rows.sort(key=lambda r: (-r[2], r[0]))
    return {
        "objects": sum(stats.values()),
        "growth": [{"type": n, "count": c, "delta": d} for n, c, d in rows[:limit]],
        "gc": _gc(),  # cheap, and it tells reference cycles from a growing collection
    }


def _common(limit: int) -> list[dict]:
    return [
        {"type": _short(n), "count": c}
        for n, c in objgraph.most_common_types(limit=limit, shortnames=False)
    ]


def _short(name: str) -> str:
    """``dict``, not ``builtins.dict``; other types keep their module (which one is it?)."""
    return name[9:] if name.startswith("builtins.") else name


def _chain(type_name: str, depth: int) -> dict:
    """From a module to one object of the type (the newest tracked), as text."""
    found = objgraph.by_type(type_name)
    if not found:
        return {"chain": None, "note": f"no object of type {type_name} is tracked"}
    target = found[-1]
    del found
    chain = objgraph.find_backref_chain(
        target, objgraph.is_proper_module, max_depth=min(depth, MAX_DEPTH)
    )
    try:
        if len(chain) < 2 or not isinstance(chain[0], types.ModuleType):
            return {"chain": None, "note": f"no module reaches a {type_name} within {depth} links"}
        return {"chain": " → ".join(_describe(chain))}
    finally:
        del chain, target


def _describe(chain: list) -> list[str]:
    """``module tasks → dict → list (global_cache) → tasks.LeakyThing``."""
    out = []
    previous = None
    for obj in chain:
        if isinstance(obj, types.ModuleType):
            label = f"module {obj.__name__}"
        else:
            label = _type_name(obj)
            key = _key_in(previous, obj) if isinstance(previous, dict) else None
            if key is not None:
                label += f" ({key})"
        out.append(label)
        previous = obj
    return out


def _key_in(mapping: dict, value: object) -> str | None:
    """The key under which ``mapping`` holds ``value``, if it is a plain string."""
    for k, v in list(mapping.items())[:100_000]:
        if v is value and isinstance(k, str):
            return k[:80]
    return None


def _type_name(obj: object) -> str:
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _gc() -> dict:
    stats = gc.get_stats()
    return {
        "collections": [s["collections"] for s in stats],
        "collected": sum(s["collected"] for s in stats),
        "uncollectable": sum(s["uncollectable"] for s in stats),
        "garbage": len(gc.garbage),
        "enabled": gc.isenabled(),
    }
