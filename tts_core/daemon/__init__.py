"""The resident daemon: :mod:`process` owns the process (lock, logging, signals, event loop),
:mod:`service` is the composition root that builds everything from the Config, :mod:`server`
speaks the wire protocol on the socket, :mod:`intake` takes each hook event once (with
:mod:`journal` and :mod:`spool`) and routes it, :mod:`voices` keeps the engine chains, and
:mod:`books` and :mod:`history` keep the accounts.
"""
