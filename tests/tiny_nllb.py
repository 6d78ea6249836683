"""A tiny model of NLLB-200's real architecture and tokenizer, built locally for tests.

Same classes as facebook/nllb-200-* (M2M100ForConditionalGeneration, NllbTokenizer with the
202 language codes), saved with save_pretrained so the daemon loads it through the same
from_pretrained path as the hub model. Random weights: it translates nonsense, which is what
the sanity checks are for. Building it takes about a second.
"""

from __future__ import annotations

from pathlib import Path

WORD = "\u2581"

LINES = [
    "All tests passed.", "The build finished.", "I updated the file.", "Done.",
    "Claude needs your permission.", "I ran the command and it printed hi.",
    "The daemon is listening on the socket.", "Version two point one is out.",
    "すべてのテストに合格しました。", "ビルドが完了しました。", "ファイルを更新しました。",
    "完了しました。", "コマンドを実行しました。", "設定を変更しました。",
]  # fmt: skip


def build(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, pre_tokenizers, trainers
    from tokenizers.models import BPE
    from transformers import (
        AutoTokenizer,
        M2M100Config,
        M2M100ForConditionalGeneration,
        NllbTokenizer,
    )

    # BPE with NllbTokenizer's own pre-tokenizer settings: transformers 5's NllbTokenizer is a
    # BPE class, and a Unigram tokenizer.json reloads in it as single characters.
    tk = Tokenizer(BPE(unk_token="<unk>", fuse_unk=True))
    tk.pre_tokenizer = pre_tokenizers.Metaspace(replacement=WORD, prepend_scheme="always")
    tk.decoder = decoders.Metaspace(replacement=WORD, prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=220, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], show_progress=False,
    )  # fmt: skip
    tk.train_from_iterator(LINES * 10, trainer)
    tokenizer = NllbTokenizer(tokenizer_object=tk, src_lang="eng_Latn")
    # A silent tokenizer failure (every word <unk>) must not pass unnoticed.
    ids = tokenizer("All tests passed.").input_ids
    assert tokenizer.unk_token_id not in ids, ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "All tests passed."
    base_size = tk.get_vocab_size()
    config = M2M100Config(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=256, pad_token_id=1, eos_token_id=2,
        bos_token_id=0, decoder_start_token_id=2, scale_embedding=True, init_std=0.3,
    )  # fmt: skip
    torch.manual_seed(0)
    model = M2M100ForConditionalGeneration(config)
    with torch.no_grad():
        # Random weights would mostly emit the 202 language codes (decoded as nothing): give
        # those rows of the tied output layer no say, so outputs are real (nonsense) text.
        codes = [i for i in range(len(tokenizer)) if i >= base_size or i in (0, 1, 3)]
        embeddings: torch.nn.Embedding = model.get_input_embeddings()  # type: ignore[assignment]
        embeddings.weight[codes] = 0.0
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    # Pieces, not only the text, survive the save and reload.
    reloaded = AutoTokenizer.from_pretrained(folder)
    for line in LINES:
        before = tokenizer.convert_ids_to_tokens(tokenizer(line).input_ids)
        after = reloaded.convert_ids_to_tokens(reloaded(line).input_ids)
        assert after == before and len(after) < len(line), (line, before, after)
    return folder
