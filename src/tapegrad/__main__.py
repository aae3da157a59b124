"""``python3 -m tapegrad``: the same as the ``tapegrad`` command (see ``tapegrad.cli``)."""

import sys

from .cli import main

sys.exit(main())
