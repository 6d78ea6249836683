"""Everything that knows Claude Code's formats: hook payloads -> decisions (:mod:`events`), a
turn's text from display deltas, Stop and transcripts (:mod:`turns`, the one owner of it;
:mod:`release` for streaming; :mod:`transcript` reads the file), and our entries in its
settings.json (:mod:`settings`). The box that changes when Claude Code does.
"""
