"""The resident daemon: :mod:`process` owns the process (lock, logging, signals, event loop),
:mod:`service` is the composition root that builds everything from the Config, :mod:`server`
speaks the wire protocol on the socket, :mod:`spool` replays what the hook stored, :mod:`books`
and :mod:`history` keep the accounts.
"""
