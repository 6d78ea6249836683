"""``python -m tts_core`` runs the CLI (the hook starts the daemon this way)."""

import sys

from tts_core.cli.main import main

sys.exit(main())
