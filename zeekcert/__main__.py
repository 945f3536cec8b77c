"""``python -m zeekcert``."""

import sys

from .cli import main

sys.exit(main())
