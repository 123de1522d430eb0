"""Objects the main process makes before the pool forks, which its children then copy.

At import, 500,000 one-item lists (about 60 MiB with their items). ``cowapp.collect`` runs
a full collection in a pool child: the collector writes to the header of every container
it visits, so the child copies the pages the lists sit on (copy-on-write) while its RSS,
which counts those pages shared or not, stays as it was. With COWAPP_FREEZE=1 the main
process calls ``gc.freeze()`` in worker_init, before the pool forks, and the collector
leaves them alone.
"""

import gc
import os

from celery.signals import worker_init
from leakapp import app

_inherited = [[i] for i in range(500_000)]


@worker_init.connect
def _freeze(**_: object) -> None:
    if os.environ.get("COWAPP_FREEZE") == "1":
        gc.freeze()


@app.task(name="cowapp.collect")
def collect() -> int:
    """A full collection: what a child does on its own once enough objects were made."""
    return gc.collect()
