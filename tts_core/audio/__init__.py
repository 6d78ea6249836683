"""Audio: PCM clips and their pure transforms (:mod:`pcm`), the on-disk cache (:mod:`cache`)
and the sounddevice player (:mod:`player`). Knows nothing of text, languages or engines.
"""
