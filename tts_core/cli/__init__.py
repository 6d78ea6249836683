"""The ``claude-tts`` command line: :mod:`main` (argparse, one function per subcommand, one
error boundary), :mod:`tools` (commands that need more than the light layer), :mod:`doctor`
and :mod:`status_text` (pure rendering). A composition root: it may import every box.
"""
