"""NLLB-200 backends in faster-whisper's manner: :mod:`base` (the protocol, a leaf),
:mod:`auto` (the choice, on top), :mod:`transformers_backend`, :mod:`compiled` (CUDA graphs),
:mod:`head` (the limited output layer), :mod:`ct2_backend` and :mod:`vocabulary` (pure).
"""
