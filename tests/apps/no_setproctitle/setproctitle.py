"""Put first on PYTHONPATH to start a worker as if setproctitle were not installed.

Celery imports setproctitle inside ``try/except ImportError``; failing that import gives
the untitled processes a host without setproctitle has.
"""

raise ImportError("setproctitle is disabled for this test")
