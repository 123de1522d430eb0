"""leaktui: find memory leaks in long-running Celery workers, live, from a terminal."""

__version__ = "0.1.0"
