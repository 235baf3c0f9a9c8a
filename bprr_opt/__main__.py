"""``python -m bprr_opt``: the ``bprr`` command line."""

import sys

from .cli import main

sys.exit(main())
