"""The ``claude-tts`` command line: :mod:`main` (argparse, one function per subcommand, one
error boundary), :mod:`tools` and :mod:`model` (commands that need more than the light layer),
:mod:`doctor`, :mod:`status_text` (pure rendering) and :mod:`install_plan` (what install.sh
installs). A composition root: it may import every box.
"""
