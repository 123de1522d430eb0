"""What `leaktui ps` prints: a Snapshot as a text table or as the JSON of docs/formats.md."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import asdict

from leaktui import fmt
from leaktui.core.assessment import Assessed
from leaktui.core.diagnosis import from_allocs
from leaktui.core.model import Snapshot


def ps_json(snapshot: Snapshot, agents: Container[int] = ()) -> dict:
    """The ``leaktui ps --json`` document; its first keys are a contract (docs/formats.md).

    ``agents``: the pids whose agent channel is open (each process has its own)."""
    workers = []
    for w in snapshot.workers:
        processes = []
        for pid in w.pids:
            info, sample = snapshot.processes[pid], snapshot.samples[pid]
            processes.append(
                {
                    "pid": pid,
                    "role": info.role,
                    "rss_bytes": sample.rss,
                    "agent": pid in agents,
                    "uss_bytes": sample.uss,
                    "swap_bytes": sample.swap,
                    "vms_bytes": sample.vms,
                    "num_fds": sample.num_fds,
                    "num_threads": sample.num_threads,
                    "user": info.user,
                    "readable": info.readable,
                    "limits": asdict(info.limits) if info.limits else None,
                }
            )
        workers.append(
            {
                "worker": w.name,
                "app": w.command.app,
                "pool": w.pool,
                "concurrency": w.concurrency,
                "processes": processes,
                "node": w.node,
                "max_tasks_per_child": w.command.max_tasks_per_child,
                "max_memory_per_child_bytes": w.command.max_memory_per_child,
                "cmdline": w.cmdline,
                "agent": w.agent,
            }
        )
    system = asdict(snapshot.system) if snapshot.system else None
    return {"host": snapshot.host, "workers": workers, "system": system}


def _fds(snapshot: Snapshot, pid: int) -> str:
    """Open fds against the soft ``ulimit -n``: ``13/1024``."""
    info, sample = snapshot.processes[pid], snapshot.samples[pid]
    limit = info.limits.nofile.soft if info.limits else None
    fds = fmt.count(sample.num_fds)
    return fds if limit is None else f"{fds}/{limit}"


def ps_text(snapshot: Snapshot) -> str:
    lines = []
    system = snapshot.system
    if system is not None:
        pressure = (
            f"{system.pressure.some_avg10:.1f}% some (10 s)" if system.pressure else "not available"
        )
        lines.append(
            f"{snapshot.host}: RAM {fmt.size(system.mem_available)} available of "
            f"{fmt.size(system.mem_total)} · swap {fmt.size(system.swap_used)} used of "
            f"{fmt.size(system.swap_total)} · memory pressure {pressure}"
        )
    if not snapshot.workers:
        lines.append("No Celery workers found.")
        return "\n".join(lines)
    rows = []
    for w in snapshot.workers:
        for pid in w.pids:
            info, sample = snapshot.processes[pid], snapshot.samples[pid]
            first = pid == w.main_pid
            cgroup = info.limits.cgroup_limit if info.limits else None
            rows.append(
                [
                    w.name if first else "",
                    (w.command.app or "-") if first else "",
                    w.pool if first else "",
                    fmt.count(w.concurrency) if first else "",
                    str(pid),
                    info.role + ("" if info.readable else " (no access)"),
                    fmt.size(sample.rss),
                    fmt.size(sample.uss),
                    fmt.size(sample.swap),
                    _fds(snapshot, pid),
                    fmt.size(cgroup) if cgroup else "-",
                    ("yes" if w.agent else "no") if first else "",
                ]
            )
    lines.append("")
    lines.append(
        fmt.table(
            [
                "WORKER",
                "APP",
                "POOL",
                "CONC",
                "PID",
                "ROLE",
                "RSS",
                "USS",
                "SWAP",
                "FDS/NOFILE",
                "CGROUP LIMIT",
                "AGENT",
            ],
            rows,
        )
    )
    return "\n".join(lines)


def no_workers_help(host: str, unreadable: int, match: str | None) -> str:
    """Why no worker was found, and what to do about it."""
    lines = [f"leaktui found no Celery worker on {host}."]
    if match:
        lines.append(f"  - --match {match!r} may exclude them: try without it.")
    lines.append(
        "  - Is a worker running? leaktui finds processes started as "
        "'celery … worker' or 'python -m celery … worker', and titled '[celeryd: …]'."
    )
    if unreadable:
        lines.append(
            f"  - /proc hides {unreadable} processes from this user (hidepid): "
            "run leaktui as the workers' user, or with sudo."
        )
    else:
        lines.append(
            "  - Workers in another container or PID namespace are not visible "
            "from here: run leaktui inside it."
        )
    return "\n".join(lines)


# -- leaktui verdict --------------------------------------------------------------------------


def verdict_json(a: Assessed) -> dict:
    """One verdict object of ``leaktui verdict --json`` (docs/verdicts.md)."""
    v = a.memory
    return {
        "worker": a.worker,
        "pid": a.pid,
        "verdict": v.kind,
        "rate_bytes_per_hour": _round(v.rate),
        "rate_ci_bytes_per_hour": [_round(x) for x in v.rate_ci] if v.rate_ci else None,
        "bytes_per_task": _round(v.bytes_per_task),
        "growth_follows": v.follows,
        "level_bytes": _round(v.level),
        "limit_bytes": v.limit.bytes if v.limit else None,
        "limit_kind": v.limit.kind if v.limit else None,
        "eta_seconds": _round(v.eta),
        "eta_ci_seconds": [_round(x) for x in v.eta_ci] if v.eta_ci else None,
        "urgent": v.urgent,
        "fd_verdict": a.fds.kind if a.fds else None,
        "reason": v.reason,
    }


def _shown(kind: str, urgent: bool) -> str:
    """The table's VERDICT cell: LEAK and GROWING in capitals, as the monitor's badge."""
    shown = fmt.shown_kind(kind, urgent)
    return shown.upper() if shown in ("leak", "growing") else shown


def _round(x: float | None) -> int | None:
    return None if x is None else round(x)


def verdict_text(assessed: list[Assessed]) -> str:
    rows = []
    for a in assessed:
        v = a.memory
        rate = "-"
        if v.rate is not None and v.kind in ("leak", "suspect", "warming"):
            rate = f"{fmt.rate(v.rate)}"
            if v.rate_ci:
                rate += f" ({fmt.size(v.rate_ci[0])}–{fmt.size(v.rate_ci[1])})"
        limit = f"{fmt.size(v.limit.bytes)} {v.limit.kind}" if v.limit else "-"
        eta = f"~{fmt.duration(v.eta)}" if v.eta is not None else "-"
        rows.append(
            [
                a.worker or "-",
                "sum" if a.pid is None else str(a.pid),
                _shown(v.kind, v.urgent),
                rate,
                fmt.size(v.level),
                limit,
                eta,
                a.fds.kind if a.fds else "-",
                v.reason,
            ]
        )
    return fmt.table(
        ["WORKER", "PID", "VERDICT", "RATE/H (95%)", "LEVEL", "LIMIT", "ETA", "FDS", "REASON"], rows
    )


# -- leaktui objgraph -------------------------------------------------------------------------


def objgraph_text(answer: dict) -> str:
    """The agent's report as tables a person reads top to bottom."""
    lines = [
        f"pid {answer['pid']} · {answer.get('objects', 0):,} objects tracked · "
        f"{answer.get('tasks', 0)} tasks finished · {answer['seconds']:.2f} s in the process"
    ]
    growth = answer.get("growth") or []
    lines += ["", "GROWTH SINCE THE LAST CALL (the first call counts everything)"]
    lines.append(
        fmt.table(
            ["TYPE", "COUNT", "DELTA"],
            [[g["type"], str(g["count"]), f"+{g['delta']}"] for g in growth],
        )
        if growth
        else "  nothing grew"
    )
    common = answer.get("common") or []
    if common:
        lines += ["", "MOST COMMON TYPES"]
        lines.append(fmt.table(["TYPE", "COUNT"], [[c["type"], str(c["count"])] for c in common]))
    gc = answer.get("gc")
    if gc:
        lines += [
            "",
            "gc: collections "
            + "/".join(str(n) for n in gc["collections"])
            + f" · uncollectable {gc['uncollectable']} · gc.garbage {gc['garbage']}"
            + ("" if gc["enabled"] else " · DISABLED"),
        ]
    if "chain" in answer:
        lines += ["", "HELD BY", f"  {answer['chain'] or answer.get('note', 'no chain found')}"]
    return "\n".join(lines)


def allocs_text(answer: dict) -> str:
    """The agent's allocation sites as a table, with what tracing took and what it cost."""
    frames = answer["frames"]
    lines = [
        f"pid {answer['pid']} · traced for {answer['seconds_traced']:.1f} s · "
        f"{answer['tasks_during']} tasks finished meanwhile · "
        f"{frames} frame{'s' if frames != 1 else ''} per allocation",
        " · ".join(_memory_account(answer)),
    ]
    malloc = answer.get("malloc")
    if malloc:
        before, after = malloc
        lines.append(
            f"glibc malloc: in use {fmt.signed_size(after['in_use'] - before['in_use'])}, "
            f"freed but kept {fmt.signed_size(after['free'] - before['free'])}, "
            f"mmapped {fmt.signed_size(after['mmapped'] - before['mmapped'])}"
        )
    collector = answer.get("gc")
    if collector:
        runs = collector["collections"]
        lines.append(
            f"gc: {runs[0]}/{runs[1]}/{runs[2]} collections (generation 0/1/2), "
            f"{collector['collected']} objects freed, {collector['uncollectable']} uncollectable"
            + (f", {collector['frozen']} frozen" if collector["frozen"] else "")
        )
    cost = answer["cost"]
    said = []
    if cost.get("allocation_slowdown"):
        said.append(
            f"a small allocation took {cost['allocation_slowdown']:.1f}× as long while tracing "
            "(measured in that process)"
        )
    said.append(f"tracemalloc's own tables {fmt.size(cost['tracemalloc_bytes'])}")
    lines.append("cost: " + " · ".join(said))
    if answer["was_tracing"]:
        lines.append("the process was tracing already: it was left tracing")
    elif answer["still_tracing"]:
        lines.append("left tracing (--keep): allocations stay slower until it stops")
    found = from_allocs(answer)
    if found is not None:
        lines += ["", f"LIKELY: {found.cause}", f"NEXT: {found.next_step}"]
        if found.stopgap:
            lines.append(found.stopgap)
    sites = answer.get("sites") or []
    lines += ["", "WHERE LIVE MEMORY GREW (largest first)"]
    if not sites:
        lines.append("  nothing allocated in the window is still alive")
    else:
        lines.append(
            fmt.table(
                ["SIZE", "BLOCKS", "SITE", "TASK", "SOURCE"],
                [
                    [
                        fmt.signed_size(s["size"]),
                        f"{s['count']:+d}",
                        f"{fmt.site_path(s['file'])}:{s['line']}",
                        s.get("task", "-"),
                        s["source"],
                    ]
                    for s in sites
                ],
            )
        )
    for s in sites[:3]:
        if len(s.get("traceback") or []) > 1:
            lines += ["", f"TRACEBACK OF {fmt.site_path(s['file'])}:{s['line']} (most recent last)"]
            for f in s["traceback"]:
                lines.append(f"  {fmt.site_path(f['file'])}:{f['line']}  {f['source']}")
    return "\n".join(lines)


def _memory_account(answer: dict) -> list[str]:
    """How each account of the process's memory moved over the window, side by side: the
    one that moved without the others names the kind of memory."""
    said = [f"memory Python traced: {fmt.signed_size(answer['traced'][1] - answer['traced'][0])}"]
    said.append(f"RSS: {fmt.signed_size(answer['rss'][1] - answer['rss'][0])}")
    if answer.get("uss"):
        said.append(f"USS: {fmt.signed_size(answer['uss'][1] - answer['uss'][0])}")
    if answer.get("blocks"):
        said.append(f"pymalloc blocks: {answer['blocks'][1] - answer['blocks'][0]:+d}")
    return said


def _kept_per_run(row: dict) -> str:
    """``+24.0 KiB (+22.1 KiB to +25.9 KiB)``: bytes a run leaves, with its interval."""
    text = fmt.signed_size(row["bytes_per_run"])
    if row.get("bytes_per_run_ci"):
        low, high = row["bytes_per_run_ci"]
        text += f" ({fmt.signed_size(low)} to {fmt.signed_size(high)})"
    return text


def tasks_text(answer: dict) -> str:
    """What each task name leaves behind in the process, the largest total first."""
    rows = answer.get("by_task") or []
    lines = [
        f"pid {answer['pid']} · {answer['tasks']} tasks finished · RSS grew "
        f"{fmt.signed_size(answer['growth'])} since the first task began"
    ]
    if not rows:
        lines.append("no task has finished in this process since the agent was loaded")
        return "\n".join(lines)
    lines += ["", "WHAT EACH TASK LEAVES BEHIND (RSS after a run minus before it)"]
    lines.append(
        fmt.table(
            ["TASK", "RUNS", "KEPT PER RUN (95 % interval)", "IN ALL", "SHARE OF GROWTH"],
            [
                [
                    r["task"],
                    str(r["runs"]),
                    _kept_per_run(r),
                    fmt.signed_size(r["bytes"]),
                    f"{r['share']:.0%}" if r["share"] is not None else "-",
                ]
                for r in rows
            ],
        )
    )
    if any(r["overlapped"] for r in rows):
        lines += [
            "",
            "Some runs overlapped other tasks (a threads or gevent pool): each difference "
            "also holds what ran beside it, so read the ranking as a hint.",
        ]
    return "\n".join(lines)
