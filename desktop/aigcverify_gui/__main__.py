"""`python -m aigcverify_gui`: the same as the `aigcverify-gui` script."""

import sys

from .app import main

sys.exit(main())
