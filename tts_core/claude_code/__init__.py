"""Everything that knows Claude Code's formats: hook payloads -> decisions (:mod:`events`), a
turn's text from display deltas and transcripts (:mod:`turns`, :mod:`transcript`), and our
entries in its settings.json (:mod:`settings`). The box that changes when Claude Code does.
"""
