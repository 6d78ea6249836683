"""Secrets in what Claude writes, and how they are hidden before anything is spoken. Pure.

The one owner of "is this a secret": private key blocks, known token prefixes, ``KEY=value``
shapes whose key names a secret, passwords inside URLs and command lines, ``Authorization``
headers, long random strings. Each hit becomes :data:`SECRET`; the key name, the URL's host and
the header's scheme stay, so "DB_PASSWORD = a secret" still says what was set.

The text is untrusted and up to 100 kB, so every pattern runs in linear time: no quantifier
inside a repeated group unless the group starts with a character the quantifier cannot match,
repeats bounded, and each scan starts where no other start can share it (a lookbehind that
refuses the middle of a word). tests/test_secrets.py times each public function on hostile input.

Must not import: anything outside the standard library (it sits under the text stage).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

SECRET = "\ue000secret\ue001"
"""Placeholder for a secret (private-use delimiters survive markdown parsing); the caller
swaps in the phrase of the output language."""

# ---- whole blocks ------------------------------------------------------------------------------

_KEY_BEGIN = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}?(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----"
    r"|PuTTY-User-Key-File-\d+:"
)
_KEY_END = re.compile(
    r"-----END [A-Z0-9 ]{0,40}?(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----|Private-MAC:[ \t]*[0-9a-f]*"
)
# A block cut off before its END line: the key's own lines (base64, blank, "Header: value",
# "...") run on; the first line of prose or a closing fence ends it.
_KEY_BODY = re.compile(
    r"(?:[ \t]+[A-Za-z0-9+/=]{8,})*"
    r"(?:\n[ \t]*(?:[A-Za-z0-9+/=]+|[A-Za-z][\w-]{0,40}:[^\n]*|\.\.\.|…)?[ \t]*(?=\n|\Z))*"
)

# ---- known token shapes (caught by their prefix, whatever surrounds them) ----------------------

_KNOWN = re.compile(
    r"""
    \bsk-(?:ant-|proj-|live-|test-|or-)?[A-Za-z0-9_-]{16,}
    | \b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}
    | \b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \bglpat-[A-Za-z0-9_-]{16,}
    | \bxox[abprse]-[A-Za-z0-9-]{10,}
    | \bxapp-[A-Za-z0-9-]{10,}
    | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b
    | \bAIza[0-9A-Za-z_-]{30,}
    | \bya29\.[0-9A-Za-z_-]{20,}
    | \bhf_[A-Za-z0-9]{30,}
    | \bnpm_[A-Za-z0-9]{30,}
    | \bpypi-[A-Za-z0-9_-]{40,}
    | \bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}
    | \bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}
    | \bdop_v1_[a-f0-9]{64}
    | \bwhsec_[A-Za-z0-9+/=]{20,}
    | \bAGE-SECRET-KEY-1[0-9A-Z]{50,}
    | \beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+
    | (?<=hooks\.slack\.com/services/)[A-Za-z0-9/]{20,}
    | (?<=/api/webhooks/)\d{5,}/[A-Za-z0-9_-]{20,}
    | \b(?:Bearer|Basic|token)[ \t]+[A-Za-z0-9._~+/=-]{16,}
    """,
    re.VERBOSE | re.ASCII,
)

# ---- secrets by position: URLs, command lines, code ---------------------------------------------

_URL_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s:/@]{0,128}:)"
    # Up to the last "@host" of the word: a password may hold an "@" (p@ss@db); a path rarely
    # does, and then the cost is a host not read out. ${DB_PASSWORD}, <password>: placeholders.
    r"(?![$%{<])([^\s]{1,256})"
    r"(?=@(?:\[[0-9A-Fa-f:.]{2,64}\]|[\w.-]{1,253})(?![\w.@-]))",
    re.ASCII,
)
_USER_FLAG = re.compile(  # curl -u user:pass, --user=user:pass, --proxy-user user:pass
    r"(?<![\w-])((?:-u|-U|--user|--proxy-user)(?:[ \t]{1,8}|=)([\"']?)[^\s:\"']{1,128}:)"
    r"(?![$%{<]|\d{1,10}(?:[\s\"']|$))([^\s\"']{1,256})(?=\2)",  # docker -u 1000:1000: ids
    re.ASCII,
)
_COMMAND_PASSWORD = re.compile(  # the password flags of a few well-known commands
    r"(?<![\w-])(?:"
    r"(?:mysql\w{0,10}|mariadb\w{0,10})\b[^\n]{0,200}?[ \t]-p(?=[^\s-])"  # mysql -pS3cret
    r"|(?:sshpass|(?:docker|podman|helm[ \t]+registry)[ \t]+login)\b[^\n]{0,200}?[ \t]-p[ \t]+"
    r"|redis-cli\b[^\n]{0,200}?[ \t]-a[ \t]+"
    r"|\blogin[ \t]+\S{1,128}[ \t]+password[ \t]+"  # .netrc
    r")(?![$%{<])([\"']?)([^\s\"']{1,256})\1",
    re.ASCII,
)
_AUTH_TUPLE = re.compile(  # requests: auth=("admin", "S3cret"), HTTPBasicAuth("admin", "S3cret")
    r"(?<!\w)((?:auth[ \t]{0,8}=|[A-Za-z]{0,20}Basic[A-Za-z]{0,8}Auth)[ \t]{0,8}\([ \t]{0,8}"
    r"([\"'])[^\"'\n]{0,128}\2[ \t]{0,8},[ \t]{0,8})([\"'])([^\"'\n]{1,256})\3",
    re.ASCII,
)
_XML_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]{0,60})>([^<>\n]{1,512})</\1>", re.ASCII)

# ---- KEY=value: a key that names a secret, then its value ----------------------------------------

_KEY_SEP = re.compile(
    r"""(?<![\w.@/-])
    (?:
        (?P<q>["'`]|\*\*|__|)(?P<key>[A-Za-z_][\w.-]{0,80})(?P=q)  # "key", `key`, **key**
        [ \t]{0,16}(?P<sep>:=|=>|==|[:=])(?![:=>])(?:\*\*|__)?[ \t]{0,16}
      | --(?P<flag>[A-Za-z][\w-]{0,60})(?:=|[ \t]{1,16}(?=[^\s-]))
      | (?P<q2>`?)(?P<named>[A-Za-z_][\w.-]{0,80})(?P=q2)  # set `DB_PASSWORD` to `...`
        (?:[ \t]{1,8}(?:env|environment|var|variable|value|setting)){0,2}
        [ \t]{1,8}(?:to|is|as|was|are)[ \t]{1,8}(?=[`"'])
    )""",
    re.VERBOSE | re.ASCII,
)
_VALUE = re.compile(
    r"""(?:[rbfuRBFU]{1,2}(?=["'`]))?
    (?: "(?P<dq>(?:[^"\\\n]|\\.){0,512})"?  # "an \" escaped quote" stays inside
      | '(?P<sq>[^'\n]{0,512})'? | `(?P<bq>[^`\s][^`\n]{0,511})` | (?P<bare>[^\s"'`]{1,512}) )""",
    re.VERBOSE,
)
_HEADER_VALUE = re.compile(  # Authorization: [scheme] credentials
    r"(?P<open>[\"']?)(?:(?P<scheme>[A-Za-z][\w-]{0,30})[ \t]{1,8}(?=[^\s\"'`]))?"
    r"(?P<cred>[^\s\"'`]{1,2048})",
    re.ASCII,
)
_KEY_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", re.ASCII)

_SECRET_PARTS = frozenset(
    {"pwd", "pass", "auth", "authorization", "creds", "cred", "cookie", "apikey", "dsn"}
)
_SECRET_SUFFIXES = (
    "password", "passwords", "passwd", "passphrase", "secret", "secrets", "token", "apikey",
    "privatekey", "accesskey", "secretkey", "credential", "credentials", "authkey",
)  # fmt: skip
_PASSWORD_SUFFIXES = ("password", "passwords", "passwd", "passphrase")
_KEY_QUALIFIERS = frozenset(  # "<qualifier> key" names a secret: api_key, stripeSecretKey
    {"api", "private", "access", "session", "signing", "sign", "encryption", "enc", "master",
     "account", "app", "license", "shared", "storage", "subscription", "consumer", "client",
     "deploy", "hmac", "jwt", "root", "secret", "auth", "x"}
)  # fmt: skip
_DESCRIPTORS = frozenset(  # password_reset_url, token_type, secretName: about a secret, not one
    {"type", "types", "method", "methods", "mode", "url", "uri", "urls", "endpoint", "host",
     "hostname", "port", "path", "file", "filename", "files", "dir", "directory", "header",
     "name", "names", "enabled", "disabled", "required", "provider", "flow", "scheme",
     "strategy", "length", "len", "count", "max", "min", "size", "limit", "limits", "ttl",
     "timeout", "expiry", "expires", "expiration", "lifetime", "policy", "format", "version",
     "id", "ids", "field", "env", "var", "ref", "prefix", "hint", "label", "reset", "rotation",
     "regex", "pattern", "placeholder", "input", "prompt", "budget", "usage", "used", "store",
     "manager", "bucket", "backend", "source", "location", "algorithm", "alg", "kind"}
)  # fmt: skip
_NOT_VALUES = frozenset(  # what a secret-named key may hold without holding a secret
    {"true", "false", "null", "none", "nil", "yes", "no", "on", "off", "undefined", "empty",
     "str", "string", "int", "integer", "number", "bool", "boolean", "bytes", "any", "object",
     "secretstr", "secretbytes", "char", "text", "varchar", "optional", "required", "redacted",
     "bearer", "basic", "digest", "token", "negotiate", "ntlm", "hidden", "masked", "inherit"}
)  # fmt: skip
_REFERENCE = re.compile(  # $VAR, ${VAR}, %VAR%, {{ secrets.X }}, <your-token>, os.environ[...]
    r"\$[A-Za-z_{(]|%\w+%|\{|<[^<>]*>?$|\*+$|[xX•.…_-]{3,}$|(?i:your|my)[_-][A-Za-z_-]+$"
    r"|[A-Za-z_][\w.]{0,80}[(\[]"
)
_IDENTIFIER_PATH = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z_]+)*")


def entropy(s: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(s)
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def _key_words(key: str) -> list[str]:
    return [p.lower() for p in _KEY_PARTS.findall(key)]


def _key_kind(key: str) -> str:
    """``"password"``, ``"secret"``, ``"weak"`` (a ``STRIPE_KEY``) or ``""`` (not a secret)."""
    parts = _key_words(key)
    if not parts or parts[-1] in _DESCRIPTORS:
        return ""
    if any(p.endswith(_PASSWORD_SUFFIXES) or p == "pwd" for p in parts):
        return "password"
    if any(p in _SECRET_PARTS or p.endswith(_SECRET_SUFFIXES) for p in parts):
        return "secret"
    if parts[-1] == "key" and len(parts) >= 2:
        return "secret" if parts[-2] in _KEY_QUALIFIERS else "weak"
    return ""


def _looks_random(token: str) -> bool:
    classes = sum(
        (any(c.islower() for c in token), any(c.isupper() for c in token),
         any(c.isdigit() for c in token))
    )  # fmt: skip
    if classes < 2 or token.count("_") + token.count("-") > len(token) // 4:
        return False  # words_joined_like_this are identifiers, not keys
    # CamelCaseIdentifiers are made of word-sized chunks; random keys flip case every char or two.
    chunks = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", token)
    if chunks and len(token) / len(chunks) >= 3.5:
        return False
    return entropy(token) >= 3.5


def _harmless(value: str, kind: str, key: str, bare: bool, prose_follows: bool) -> bool:
    """Whether a secret-named key's value is something other than a secret."""
    if len(value) < 3 or SECRET in value or value.lower() in _NOT_VALUES:
        return True
    if _REFERENCE.match(value) or value.lower() == key.lower():
        return True
    if re.fullmatch(r"[+-]?\d[\d_.,]*(?:ms|s|m|h|d|k|kb|mb|gb|%)?", value):
        return kind != "password"  # token_limit: 4096, ttl: 30s; but password=123456 is one
    if kind == "weak":  # SORT_KEY=name: only a credential-looking value is hidden
        classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                       any(c.isdigit() for c in value)))  # fmt: skip
        return not (_looks_random(value) or (len(value) >= 16 and classes >= 2))
    if bare and _IDENTIFIER_PATH.fullmatch(value):
        last = value.rsplit(".", 1)[-1]
        if _key_kind(last) or last.lower() == key.lower():
            return True  # password=args.password, api_key=settings.API_KEY: a name, not a value
        if prose_follows and value.isalpha():
            return True  # "Password: the one you chose" is a sentence, not a setting
    if bare and re.fullmatch(r"(?:~|\.{1,2})?/[\w./-]+", value):
        return not _looks_random(value)  # PWD=/home/me, token: /run/secrets/token
    return False


def _hide_assignments(text: str) -> str:
    out: list[str] = []
    done = pos = 0  # text[:done] is in out; the next key is searched from pos
    while m := _KEY_SEP.search(text, pos):
        key = m["key"] or m["flag"] or m["named"]
        kind = _key_kind(key)
        pos = m.end()
        if not kind:
            continue
        if _key_words(key)[-1] == "authorization":  # keep the scheme: "Bearer a secret"
            h = _HEADER_VALUE.match(text, pos)
            if h and not _harmless(h["cred"], kind, key, True, False):
                out.append(text[done : h.start("cred")] + SECRET)
                done = pos = h.end()
            continue
        v = _VALUE.match(text, pos)
        if not v or (m["named"] and v["bare"] is not None):
            continue
        bare = v["bare"] is not None
        value = next(g for g in (v["dq"], v["sq"], v["bq"], v["bare"]) if g is not None)
        end = v.end()
        if bare:  # sentence punctuation after a value is ours
            value = value.rstrip(".,;:!?)]}>*")
            end = v.start() + len(value)
        follows = m["sep"] == ":" and bool(re.match(r"[,;.!?]?[ \t]+[A-Za-z]", text[end : end + 3]))
        if not _harmless(value, kind, key, bare, follows):
            out.append(text[done : v.start()] + SECRET)
            done = pos = end
    return "".join(out) + text[done:]


def _hide_private_key_blocks(text: str) -> str:
    out: list[str] = []
    done = 0
    no_end_after = len(text) + 1  # once an END is missing, no later BEGIN has one: stay linear
    while m := _KEY_BEGIN.search(text, done):
        end = _KEY_END.search(text, m.end()) if m.end() < no_end_after else None
        if end is not None:
            stop = end.end()
        else:
            no_end_after = min(no_end_after, m.end())
            body = _KEY_BODY.match(text, m.end())
            stop = body.end() if body else m.end()
            if not any(c.isalnum() for c in text[m.end() : stop]):
                out.append(text[done : m.end()])  # a BEGIN line named in prose: no key
                done = m.end()
                continue
        out.append(text[done : m.start()] + SECRET)
        done = stop
    return "".join(out) + text[done:]


def _xml_element(m: re.Match[str]) -> str:
    tag, value = m.group(1), m.group(2).strip()
    kind = _key_kind(tag)
    if not kind or _harmless(value, kind, tag, True, False):
        return m.group(0)
    return f"<{tag}>{SECRET}</{tag}>"


def _keep_first(m: re.Match[str]) -> str:
    return m.group(1) + SECRET


def _command_password(m: re.Match[str]) -> str:
    return m.group(0)[: m.start(1) - m.start(0)] + SECRET


_STRUCTURED: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_KNOWN, lambda m: SECRET),
    (_URL_PASSWORD, _keep_first),
    (_USER_FLAG, _keep_first),
    (_COMMAND_PASSWORD, _command_password),
    (_AUTH_TUPLE, _keep_first),
    (_XML_ELEMENT, _xml_element),
)


def hide_credentials(text: str) -> str:
    """Replace every secret found by its shape or its name (not by its randomness alone)."""
    text = _hide_private_key_blocks(text)
    for pattern, say in _STRUCTURED:
        text = pattern.sub(say, text)
    return _hide_assignments(text)


_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_\-]{20,}", re.ASCII)
_HEX_ID = re.compile(r"[0-9a-fA-F-]+", re.ASCII)


def hide_random(text: str, keep_ids: bool = False) -> str:
    """Replace long random-looking strings (a key pasted with no name); with ``keep_ids``, a
    hex hash or a UUID is left for the caller to call an ID."""

    def say(m: re.Match[str]) -> str:
        token = m.group(0)
        if (keep_ids and _HEX_ID.fullmatch(token)) or not _looks_random(token):
            return token
        return SECRET

    return _CANDIDATE.sub(say, text)


def hide_in_message(text: str) -> str:
    """The pass over a whole raw message, before markdown splits it into pieces (an ``*`` or a
    backtick inside a value would otherwise cut the value in two, each half too short to be
    caught): private key blocks, named and known secrets, and random strings other than IDs."""
    return hide_random(hide_credentials(text), keep_ids=True)
