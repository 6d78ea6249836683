"""From Claude's markdown to sentences worth hearing: :mod:`speakable` (the markdown walk),
:mod:`spoken_words` (secrets, IDs, URLs, paths, identifiers), :mod:`sentences` (splitting)
and :mod:`phrases` (our own words, per output language). Pure; no engine, no translation.
"""
