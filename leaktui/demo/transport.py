"""kombu's filesystem transport, with each message written atomically.

The stock ``_put`` creates the final ``*.msg`` file and then writes into it, while ``_get``
reads files without taking the lock; a reader that lists the folder in between reads an
empty or partial message and the worker dies of a JSONDecodeError (celery/kombu#1551).
Here the message is written under a name the reader ignores, then renamed into place.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".writing"  # _get takes only names that end in "{queue}.msg"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
