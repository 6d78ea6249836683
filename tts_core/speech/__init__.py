"""Speaking: :mod:`pipeline` is the only place the stage order is written (filter ->
translate -> engine -> player, overlapped per sentence); :mod:`policy` is speech-dispatcher's
priority rule as one pure function. Handed its adapters; imports no engine or device library.
"""
