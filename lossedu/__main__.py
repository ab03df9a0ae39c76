"""``python -m lossedu ...`` is the ``lossedu`` command (see :mod:`lossedu.cli`)."""
import sys

from lossedu.cli import main

sys.exit(main())
