"""kombu's filesystem transport, with each message and each new exchange table written
atomically: the demo's workers use it, and so does leaktui's broker client on a
``filesystem://`` URL, whose broadcast a worker would otherwise read half-written.

The stock ``_put`` creates the final ``*.msg`` file and then writes into it, while ``_get``
reads files without taking the lock; a reader that lists the folder in between reads an
empty or partial message and the worker dies of a JSONDecodeError (celery/kombu#1551).
Here the message is written under a name the reader ignores, then renamed into place.

The stock ``_queue_bind`` has the same flaw for an exchange's table of queues: it creates
the file (``"wb"``) and only then locks it, so workers starting together (the demo's four,
all binding to ``celery.pidbox``) read it empty, or both write it whole, one after the
other, into a file that no longer parses. Here a new table appears whole or not at all.
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
    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        if not file.exists():
            self.control_folder.mkdir(exist_ok=True)
            partial = file.with_name(f"{file.name}.{uuid.uuid4()}.writing")
            try:
                partial.write_bytes(
                    str_to_bytes(dumps([[routing_key or "", pattern or "", queue or ""]]))
                )
                os.link(partial, file)  # fails if another worker's table got there first
                return
            except FileExistsError:
                pass  # then ours joins it below, under the lock, as the stock code does
            except OSError as exc:
                raise ChannelError(f"Cannot create {file}") from exc
            finally:
                partial.unlink(missing_ok=True)
        super()._queue_bind(exchange, routing_key, pattern, queue)

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
