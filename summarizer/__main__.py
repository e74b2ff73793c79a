"""Entry point for `python -m summarizer`."""

import sys

from .cli import main

sys.exit(main())
