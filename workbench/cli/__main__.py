"""`python -m workbench.cli …`: the same as `workbench …`."""

import sys

from . import main

sys.exit(main())
