"""Speaking: :mod:`pipeline` is the only place the stage order is written (filter ->
translate -> engine -> player, overlapped per sentence); :mod:`utterance` is what it is handed;
:mod:`policy` is speech-dispatcher's priority rule as one pure function. Imports no engine or
device library.
"""
