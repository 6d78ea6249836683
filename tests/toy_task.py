"""The toy translation task that tests/fixtures/toy-nllb/ (a trained NLLB-architecture model,
4.7 MB) learnt; the ground truth its translations are checked against. Copied from the model's
builder (which trained it on one CPU thread in 530 s, seeded), less the tokenizer training.

English -> pseudo-Japanese, word for word, same order (mostly one output piece per input piece):

* 364 English dictionary words (each one BPE piece, lower-case or capitalised)
  map to fixed Japanese-script words (1-2 kanji + 1-2 kana; every word starts with a kanji and
  ends with kana, so the Japanese words concatenated without spaces segment back uniquely).
* Everything else is a "Latin chunk" and is COPIED piece by piece: the project's placeholders
  (ZQA, ZQB, ... ZQBA, also glued inside identifiers as the project's masking makes them:
  bash-ZQA, etc/ZQB), identifiers (pytest, foo_bar, src/app), raw numbers, versions and file
  names. A Latin chunk is written with a space before it, and the Japanese word after it starts
  with a space too (the word-start mark), the way NLLB writes a Latin name inside Japanese.
* A final "." or "," of a chunk becomes "。" / "、"; "?" and "!" stay (NFKC would turn
  full-width ？！ back into ASCII anyway).

``Reference.translate()`` is the ground truth for ANY input text (string rules: split on
spaces; a chunk that is a dictionary word, maybe with a final . , ? !, is translated).
"""

from __future__ import annotations

import random

WORD = "\u2581"

ENGLISH = """
the a an and or but if then else when while for with without from to into onto of on in at by
about after before under over between through again all any each every some no not only also
just still already now here there this that these those it its they them their we our you your
i he she his her my me us is are was were be been being has have had do does did done can could
will would should must may might shall run ran runs build built test tests file files folder
path line lines code function class method module package library server client request
response error errors warning message messages output input value values name names type types
list table row column key keys page user users account session token tokens model models data
database query result results check checks change changes update updated updates add added
remove removed delete deleted create created open opened close closed read write wrote save
saved load loaded start started stop stopped restart fix fixed bug bugs issue issues feature
features option options setting settings config default version release branch commit commits
merge merged push pushed pull pulled review reviewed pass passed fail failed failing skip
skipped install installed upgrade network port socket daemon process thread memory disk cache
queue event events hook hooks shell command commands script scripts terminal window screen
sound voice speech audio text word words sentence language translation translate translated
japanese english new old small large fast slow first last next previous same other more less
many few good bad right wrong ready busy empty full long short high low main local remote
public private simple clear safe sure true false yes ok please thanks sorry let look see find
found show shown tell ask answer need needs want use used using make made get got give keep
kept try tried work works worked call called return returned send sent receive wait waiting
time times day today minute second seconds step steps part parts way case cases point problem
reason plan idea example because so than too very well much most both either neither number
""".split()  # noqa: SIM905
SYLLABLES = """
py kube ctl npm pip git hub lint foo bar baz qux dev src app lib util conf http serv yarn
rust cargo tox venv env zsh bash curl wget grep sed awk jq redis pg nginx vite node deno
mypy ruff flask django numpy pandas torch ctx cfg tmp usr etc opt var xyz abc def ghi
""".split()  # noqa: SIM905
KANJI = list(
    "設定変更実行確認完了開始終了保存削除作成更新追加読書送受信待機準備成功失敗警告"
    "表示入力出力検索置換移動複製貼付選択解除接続切断起動停止再試行判定評価計算記録"
    "番号名前種類形式状態理由問題解決方法手順部分全体最初最後次前同他多少速遅新古大"
    "小長短高低主副内外公私安全正誤真偽可否要求応答値鍵頁列行表館庫"
)
HIRAGANA = list(
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
)
KATAKANA = list(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
)
PUNCT = list(".,?!:;-_/()'\"#@=+*<>[]{}%&~`|\\$^")
END_PUNCT = {".": "。", ",": "、", "?": "?", "!": "!"}
JA_PUNCT = ["。", "、"]
EXTS = ["py", "js", "ts", "json", "yaml", "yml", "toml", "md", "txt", "sh", "rs", "go", "lock",
        "cfg", "ini", "html", "css", "sql", "csv", "log", "rst", "cc", "env"]  # fmt: skip


def japanese_words(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        kana = HIRAGANA if rng.random() < 0.5 else KATAKANA
        word = "".join(rng.sample(KANJI, rng.choice([1, 2]))) + "".join(
            rng.sample(kana, rng.choice([1, 2]))
        )
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def dictionary(seed: int = 1234) -> dict[str, str]:
    rng = random.Random(seed)
    words = list(dict.fromkeys(ENGLISH))
    return dict(zip(words, japanese_words(rng, len(words)), strict=True))


def split_end(chunk: str) -> tuple[str, str | None]:
    if len(chunk) > 1 and chunk[-1] in END_PUNCT:
        return chunk[:-1], chunk[-1]
    return chunk, None


class Reference:
    """The ground-truth toy translation of any English text (string-level rules, no model)."""

    def __init__(self, dic: dict[str, str]) -> None:
        self.word: dict[str, str] = {}
        for en, ja in dic.items():
            self.word[en] = ja
            self.word[en.capitalize()] = ja

    def translate(self, text: str) -> str:
        out: list[str] = []
        after_latin = False
        for chunk in text.split():
            body, end = split_end(chunk)
            if body in self.word:
                out.append((" " if after_latin else "") + self.word[body])
                after_latin = False
            else:  # a Latin chunk, copied as it is
                out.append((" " if out else "") + body)
                after_latin = True
            if end is not None:
                out.append(END_PUNCT[end])
                after_latin = False
        return "".join(out)


# ---- random sentences ----------------------------------------------------------------------


def placeholder(i: int) -> str:
    return "ZQ" + "".join(chr(ord("A") + int(d)) for d in str(i))


class Sentences:
    def __init__(self, dic: dict[str, str], ref: Reference, rng: random.Random) -> None:
        self.words = list(dic)
        self.ref = ref
        self.rng = rng

    def identifier(self) -> str:
        r = self.rng
        while True:
            parts = [r.choice(SYLLABLES)]
            for _ in range(r.choice([0, 0, 1, 1, 2])):
                sep = r.choice(["", "", "_", "-", "/", "."])
                nxt = r.choice(SYLLABLES) if r.random() < 0.7 else str(r.randint(0, 99))
                if nxt.isdigit() and r.random() < 0.5:
                    # what the project sends for bash-55 or etc/44: the digits masked
                    nxt = placeholder(r.choice(range(12)))
                if sep == "" and nxt.startswith("ZQ"):
                    sep = r.choice(["-", "/", "_"])
                if sep == ".":
                    nxt = r.choice(SYLLABLES)
                parts.append(sep + nxt)
            ident = "".join(parts)
            if r.random() < 0.15:
                ident = ident[0].upper() + ident[1:]
            if ident not in self.ref.word:
                return ident

    def raw_item(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.35:
            return str(r.choice([r.randint(0, 9), r.randint(10, 999), r.randint(1000, 99999)]))
        if kind < 0.6:
            n = r.choice([2, 3, 3])
            return ("v" if r.random() < 0.5 else "") + ".".join(
                str(r.randint(0, 20)) for _ in range(n)
            )
        if kind < 0.85:
            return f"{r.choice(SYLLABLES)}.{r.choice(EXTS)}"
        return r.choice(SYLLABLES).upper()  # an acronym left unmasked

    def sentence(self, n_min: int = 3, n_max: int = 15, copy_rate: float = 0.22) -> str:
        r = self.rng
        n = r.randint(n_min, n_max)
        tokens: list[str] = []
        used_ph: set[int] = set()
        for i in range(n):
            x = r.random()
            if x < copy_rate * 0.5:
                k = r.choice(range(14)) if r.random() < 0.85 else r.randint(0, 30)
                while k in used_ph:
                    k = r.randint(0, 30)
                used_ph.add(k)
                tok = placeholder(k)
            elif x < copy_rate * 0.8:
                tok = self.identifier()
            elif x < copy_rate:
                tok = self.raw_item()
            else:
                tok = r.choice(self.words)
                if i == 0:
                    tok = tok.capitalize()
            if i < n - 1 and r.random() < 0.08:
                tok += ","
            tokens.append(tok)
        end = r.random()
        text = " ".join(tokens)
        if end < 0.75:
            text += "."
        elif end < 0.83:
            text += "?"
        elif end < 0.86:
            text += "!"
        return text
