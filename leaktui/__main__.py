"""``python -m leaktui``: the same as the ``leaktui`` command."""

import sys

from leaktui.commands import main

sys.exit(main())
