"""claude-tts: makes Claude Code speak.

Light by design: importing the package imports nothing beyond the standard library, so the hook
(which runs once per Claude Code event) stays fast.
"""

__version__ = "0.1.0"
