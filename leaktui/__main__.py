"""``python -m leaktui``: the same as the ``leaktui`` command."""

import sys

from leaktui.cli import main

sys.exit(main())
