"""Fixtures shared by the whole suite: brokers and real Celery workers, always stopped."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "tui"))  # tui_fakes, for UI tests anywhere

from harness import Broker, RunningWorker, filesystem_broker, redis_server, start_worker


@pytest.fixture(scope="session")
def redis_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with redis_server(tmp_path_factory.mktemp("redis")) as broker:
        yield broker


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The agent's channels in this test's own folder (workers inherit the variable)."""
    folder = tmp_path / "run"
    folder.mkdir()
    monkeypatch.setenv("LEAKTUI_RUNTIME_DIR", str(folder))
    return folder


@pytest.fixture
def fs_broker(tmp_path: Path) -> Broker:
    return filesystem_broker(tmp_path / "broker")


class Workers:
    """Starts workers for one test or module and stops every one of them at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[RunningWorker] = []

    def start(self, broker: Broker, args: list[str], **kwargs) -> RunningWorker:
        worker = start_worker(self.workdir, broker, args, **kwargs)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
