"""A transformers output layer that scores only the pieces a translation may write.

Wraps the model's ``lm_head``. For each target script it keeps a small copy of the rows
``vocabulary.target_pieces`` chose (quantized too when the model is int8), and for each batch
the rows of the sources' own pieces (names and placeholders copied through), each row of the
batch allowed only its own source's. Every other piece
gets ``-inf``, so ``generate`` and its logits processors work unchanged on full-size ids.
Per token this reads ~32k rows instead of 256k: measured in bench/translate.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import torch


class LimitedHead(torch.nn.Module):
    """NLLB's output layer cut to the pieces the target script can write (plus what a sentence
    may copy from its source), so each generated token scores a fraction of the 256k rows."""

    def __init__(self, full: torch.nn.Module, rows: torch.Tensor, vocab_size: int) -> None:
        super().__init__()
        self.full = full
        self.vocab_size = vocab_size
        self._rows = rows  # float weights of every row (the tied embedding: not a copy)
        self._layers: dict[str, tuple[torch.Tensor, torch.nn.Module, torch.Tensor]] = {}
        self._own: dict[str, set[int]] = {}  # each key's pieces, as a set
        self._active: (
            tuple[torch.nn.Module, torch.Tensor, torch.Tensor, torch.Tensor | None] | None
        ) = None

    @classmethod
    def wrap(cls, model: Any) -> LimitedHead | None:
        """Put a LimitedHead in place of ``model.lm_head``; None where the float weights of the
        rows cannot be had cheaply (an int8 head whose embedding is not tied to it)."""
        head = model.lm_head
        if isinstance(head, LimitedHead):
            return head
        if isinstance(head, torch.nn.Linear) and head.bias is None:
            rows = head.weight
        elif getattr(model.config, "tie_word_embeddings", False):
            rows = model.get_input_embeddings().weight
        else:
            return None
        limited = cls(head, rows.detach(), int(rows.shape[0]))
        model.lm_head = limited
        return limited

    def prepare(self, key: str, ids: list[int]) -> None:
        """Build the small layer for one target script, once."""
        if key in self._layers:
            return
        device = self._rows.device
        index = torch.tensor(ids, dtype=torch.long, device=device)
        layer = torch.nn.Linear(self._rows.shape[1], len(ids), bias=False)
        layer = layer.to(device=device, dtype=self._rows.dtype)
        with torch.no_grad():
            layer.weight.copy_(self._rows.index_select(0, index))
        if _is_int8(self.full):
            layer = quantize_int8(torch.nn.Sequential(layer))[0]
        # Where each piece's score is found in [small layer | copied rows | -inf]: the last.
        where = torch.full((self.vocab_size,), len(ids), dtype=torch.long)
        where[index.cpu()] = torch.arange(len(ids))
        self._layers[key] = (index, layer.eval(), where)
        self._own[key] = set(ids)

    def limit(self, key: str | None, copy_ids: Sequence[Iterable[int]] = ()) -> None:
        """Score only ``key``'s pieces, plus for each row of the batch the pieces that row's own
        source may copy (``copy_ids[row]``), from now on; None: the whole vocabulary.

        Per row, so that a sentence translates the same alone and in any batch: a row never
        sees the pieces another sentence of its batch could copy."""
        if key is None:
            self._active = None
            return
        index, layer, where = self._layers[key]
        own = self._own[key]
        per_row = [set(ids) - own for ids in copy_ids]
        extra = sorted(set().union(*per_row)) if per_row else []
        gather = where.clone()
        gather[gather == len(index)] += len(extra)  # the -inf column moves past the copies
        gather[extra] = len(index) + torch.arange(len(extra))
        device = index.device
        rows = self._rows.index_select(0, torch.tensor(extra, dtype=torch.long, device=device))
        allowed: torch.Tensor | None = None
        if len(per_row) > 1 and extra:
            column = {piece: j for j, piece in enumerate(extra)}
            mask = torch.full((len(per_row), len(extra)), float("-inf"))
            for row, ids in enumerate(per_row):
                mask[row, [column[i] for i in ids]] = 0.0
            allowed = mask.to(device=device, dtype=self._rows.dtype)
        self._active = (layer, rows, gather.to(device), allowed)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if self._active is None:
            out: torch.Tensor = self.full(hidden)
            return out
        layer, rows, gather, allowed = self._active
        small = layer(hidden)
        copied = (hidden @ rows.T).to(small.dtype)
        if allowed is not None:  # (batch, copies) over (batch, positions, copies)
            copied = copied + allowed.to(small.dtype).unsqueeze(-2)
        parts = [copied.new_full((*small.shape[:-1], 1), float("-inf"))]
        parts = [small, copied, *parts]
        # A gather, not a scatter into a full-size tensor: index_select is fast on every device
        # (MPS's index_copy was not).
        return torch.cat(parts, dim=-1).index_select(-1, gather)


def _is_int8(module: torch.nn.Module) -> bool:
    return isinstance(module, torch.ao.nn.quantized.dynamic.Linear)


def quantize_int8(model: Any) -> Any:
    """torch dynamic int8 on every Linear (the output layer included).

    torch 2.13 deprecates ``torch.ao.quantization.quantize_dynamic`` in favour of torchao, but
    torchao's eager int8 (``Int8DynamicActivationInt8WeightConfig``) ran 2x slower on this CPU
    (28 vs 14 ms for NLLB-600M's decoder-sized Linear stack; it needs torch.compile to be
    fast), so the older API stays until it is gone."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", "torch.quantize_per_tensor", UserWarning)
        return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            model, {torch.nn.Linear}, dtype=torch.qint8
        )
