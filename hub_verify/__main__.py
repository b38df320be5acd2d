"""`python -m hub_verify`, the same as the `hub-verify` command."""

import sys

from hub_verify.cli import main

sys.exit(main())
