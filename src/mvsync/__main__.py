"""``python -m mvsync``: the command line, also under ``torchrun -m mvsync train ...``."""

import sys

from .cli import main

sys.exit(main())
