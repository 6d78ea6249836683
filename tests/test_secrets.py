"""Secrets are never spoken: a corpus of realistic secrets in many shapes, innocent sentences
that must come through untouched, hostile input that must not stall the filter."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tts_core.config.schema import FilterOptions
from tts_core.languages.phrases import phrases
from tts_core.text import credentials
from tts_core.text import spoken_words as sw
from tts_core.text.speakable import sentences

PEM_RSA = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA7bq9RsaKeyLine1Zx0
Qm9keUxpbmVUd29PZlRoZVJzYUtleQ88
-----END RSA PRIVATE KEY-----"""
PEM_OPENSSH = """-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE
OpenSshBodyLine2xQ7v9Kw3
-----END OPENSSH PRIVATE KEY-----"""
PEM_PGP = """-----BEGIN PGP PRIVATE KEY BLOCK-----
Version: GnuPG v2

lQOYBF0PgpBodyLine1Aa9Zz
PgpBodyLine2Bb8Yy7Xx
=Pq9R
-----END PGP PRIVATE KEY BLOCK-----"""
PEM_EC = """-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIEcKeyBodyLine1Mm4
-----END EC PRIVATE KEY-----"""
PEM_PKCS8 = """-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq
Pkcs8BodyLine2Nn5Oo6
-----END ENCRYPTED PRIVATE KEY-----"""
PEM_CUT = """-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9wCutLine1
CutKeyBodyLine2Rr3Ss4"""

# (shape, message as Claude would write it, the secret values it holds)
CORPUS: list[tuple[str, str, list[str]]] = [
    (
        "dotenv",
        "Add this to your `.env`:\n\n```env\nDB_PASSWORD=Tr0ub4dor&3x\n```\n\nThen restart.",
        ["Tr0ub4dor&3x"],
    ),
    ("dotenv", "Your .env should have DB_PASSWORD=S3cretPass! and nothing else.", ["S3cretPass"]),
    (
        "dotenv",
        "Set AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY before deploying.",
        ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ),
    (
        "dotenv",
        "```\nGITHUB_TOKEN=Zq81XkQ9aLm2Rt7\nSTRIPE_KEY=rk9Lw2Qz7Xc4Vb1Nm8\n```",
        ["Zq81XkQ9aLm2Rt7", "rk9Lw2Qz7Xc4Vb1Nm8"],
    ),
    (
        "export",
        'Run `export OPENAI_API_KEY="abcDEF123456ghiJKL"` in the shell first.',
        ["abcDEF123456ghiJKL"],
    ),
    (
        "export",
        "```bash\nexport SMTP_PASSWORD='correct horse battery staple'\n./send.sh\n```",
        ["correct horse battery staple"],
    ),
    ("export", "Prefix the command: `PGPASSWORD=pgPa55w0rd psql -h db -U app`.", ["pgPa55w0rd"]),
    (
        "yaml",
        "In `config.yml`:\n\n```yaml\ndatabase:\n  user: app\n  password: s3cr3t-Pa55\n```",
        ["s3cr3t-Pa55"],
    ),
    ("yaml", "Set `client_secret: 9f8e7d6cVbA1` under the oauth section.", ["9f8e7d6cVbA1"]),
    (
        "yaml",
        "The Kubernetes manifest:\n\n```yaml\nstringData:\n  password: K8sPa55w0rd\n```",
        ["K8sPa55w0rd"],
    ),
    ("json", 'The config has `"password": "hunter2hunter2"` in it.', ["hunter2hunter2"]),
    ("json", '```json\n{"password": "Esc\\"ap3dQuote"}\n```', ['Esc\\"ap3dQuote']),
    (
        "json",
        '```json\n{"apiKey": "Jk7Qw2Zx9Lp4", "client_secret":"Qm9vZ2xlQ2xpZW50"}\n```',
        ["Jk7Qw2Zx9Lp4", "Qm9vZ2xlQ2xpZW50"],
    ),
    (
        "json",
        'I found {"auth": "ZG9ja2VyOmh1YjEyMw=="} in ~/.docker/config.json.',
        ["ZG9ja2VyOmh1YjEyMw"],
    ),
    ("toml", 'In `pyproject.toml` I saw `password = "ini-Pa55word"`.', ["ini-Pa55word"]),
    ("toml", "```ini\n[database]\npassword = maria_db_2024\n```", ["maria_db_2024"]),
    ("python", 'Call `connect(user="app", password="Py7hon-Pa55")` to open it.', ["Py7hon-Pa55"]),
    (
        "python",
        'Line 3 hard-codes `api_key = "live_9XbT2mQ8rW4z"`, move it out.',
        ["live_9XbT2mQ8rW4z"],
    ),
    ("python", "Use `'secret_key': 'dj4ngo-s3cr3t-k3y'` only locally.", ["dj4ngo-s3cr3t-k3y"]),
    ("python", '`if password == "Cmp4reMe!":` compares against a literal.', ["Cmp4reMe"]),
    (
        "javascript",
        "```js\nconst firebase = { apiKey: 'js-K3y-4f9a2b7c', projectId: 'demo' };\n```",
        ["js-K3y-4f9a2b7c"],
    ),
    ("php", "In `config.php`: `'password' => 'Ph9Pa55xyz',`.", ["Ph9Pa55xyz"]),
    ("go", '`token := "go-T0ken-77aa"` is a constant in main.go.', ["go-T0ken-77aa"]),
    ("powershell", 'Then `$env:API_TOKEN = "psT0ken-5521"` in PowerShell.', ["psT0ken-5521"]),
    (
        "dockerfile",
        "```dockerfile\nFROM postgres:16\nENV POSTGRES_PASSWORD=D0ckerPa55\n```",
        ["D0ckerPa55"],
    ),
    ("cli_flag", "Run `app migrate --password=Cl1Pa55word --verbose`.", ["Cl1Pa55word"]),
    ("cli_flag", "Pass it as `tool upload --api-key Ak9d8f7g6h5j4k3`.", ["Ak9d8f7g6h5j4k3"]),
    ("mysql_p", "Connect with `mysql -u root -pMyR00tPwd app`.", ["MyR00tPwd"]),
    ("command_password", "```sh\nsshpass -p 'Sshp4ssW0rd' ssh deploy@host\n```", ["Sshp4ssW0rd"]),
    (
        "command_password",
        "Log in: `docker login -u bot -p Dh9bP4ss7 registry.example.com`.",
        ["Dh9bP4ss7"],
    ),
    ("command_password", "Try `redis-cli -h cache -a R3disCl1Pw ping`.", ["R3disCl1Pw"]),
    (
        "curl_user",
        "Run curl -u admin:S3cret https://api.example.com/health to check it.",
        ["S3cret"],
    ),
    (
        "curl_user",
        "```bash\ncurl --user deploy:D3ployMe7 https://ci.example.com/api\n```",
        ["D3ployMe7"],
    ),
    ("url_credentials", "Connect with postgres://admin:S3cretPg@db:5432/app now.", ["S3cretPg"]),
    ("url_credentials", "`DATABASE_URL=mysql://root:My5qlPa55@127.0.0.1:3306/shop`", ["My5qlPa55"]),
    ("url_credentials", "Use `redis://:R3disPa55@cache:6379/0` for the queue.", ["R3disPa55"]),
    (
        "url_credentials",
        "The cluster is mongodb+srv://app:M0ng0Pa55@cluster0.x.mongodb.net/db.",
        ["M0ng0Pa55"],
    ),
    ("url_credentials", "Broker: amqp://guest:Rabb1tPa55@mq:5672//", ["Rabb1tPa55"]),
    ("url_credentials", "Try postgres://admin:p@ssW0rd/x!@db:5432/app instead.", ["ssW0rd/x"]),
    (
        "url_credentials",
        "Clone https://oauth2:gl9T0k3nValue99@gitlab.com/org/repo.git today.",
        ["gl9T0k3nValue99"],
    ),
    (
        "url_credentials",
        "See [the dashboard](https://bob:Pa55w0rdHttp@example.com/x).",
        ["Pa55w0rdHttp"],
    ),
    (
        "authorization",
        "Send `Authorization: Bearer abc123def456` with each call.",
        ["abc123def456"],
    ),
    (
        "authorization",
        '```\ncurl -H "Authorization: Basic YWRtaW46UzNjcmV0" https://x.io\n```',
        ["YWRtaW46UzNjcmV0"],
    ),
    (
        "authorization",
        'Use `headers = {"Authorization": "token 0a1b2c3d4e5fZZ"}` here.',
        ["0a1b2c3d4e5fZZ"],
    ),
    ("api_key_header", 'Add `-H "X-Api-Key: xk77f0ab19cd"` to the request.', ["xk77f0ab19cd"]),
    ("api_key_header", "GitLab wants `Private-Token: Pt9ZZ81aa93q` as a header.", ["Pt9ZZ81aa93q"]),
    ("api_key_header", "It replied with `Cookie: sessionid=C00kieVal9x8y7`.", ["C00kieVal9x8y7"]),
    (
        "query_string",
        "Open https://api.example.com/v1/data?api_key=Qs9ApiK3yValue&format=json.",
        ["Qs9ApiK3yValue"],
    ),
    (
        "npmrc",
        "Your `.npmrc` has `//registry.npmjs.org/:_authToken=NpmrcT0kenVal42`.",
        ["NpmrcT0kenVal42"],
    ),
    (
        "connection_string",
        "Use `Server=db;User Id=sa;Password=SqlServ3rPa55;` for SQL Server.",
        ["SqlServ3rPa55"],
    ),
    ("xml", "In `settings.xml`: `<password>Xm1Pa55wd</password>`.", ["Xm1Pa55wd"]),
    ("xml", "Maven reads <password>MvnXml9Pa55</password> from the server entry.", ["MvnXml9Pa55"]),
    ("auth_tuple", '`requests.get(url, auth=("admin", "Tup1ePa55"))` logs in.', ["Tup1ePa55"]),
    (
        "netrc",
        "```\nmachine api.heroku.com login me@x.com password Hk9N3trcPa55\n```",
        ["Hk9N3trcPa55"],
    ),
    ("markdown_split", "Set DB_PASSWORD=S3cr*et*Value9 in production.", ["S3cr*et*Value9"]),
    (
        "private_key",
        f"Here is the key:\n\n{PEM_RSA}\n\nSave it as id_rsa.",
        ["MIIEowIBAAKCAQEA7bq9RsaKeyLine1Zx0", "Qm9keUxpbmVUd29PZlRoZVJzYUtleQ88"],
    ),
    (
        "private_key",
        f"```\n{PEM_OPENSSH}\n```",
        ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE", "OpenSshBodyLine2xQ7v9Kw3"],
    ),
    (
        "private_key",
        f"The PGP key:\n{PEM_PGP}\nImport it with gpg.",
        ["lQOYBF0PgpBodyLine1Aa9Zz", "PgpBodyLine2Bb8Yy7Xx"],
    ),
    ("private_key", f"{PEM_EC}", ["MHcCAQEEIEcKeyBodyLine1Mm4"]),
    (
        "private_key",
        f"Encrypted:\n\n{PEM_PKCS8}",
        ["MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq", "Pkcs8BodyLine2Nn5Oo6"],
    ),
    (
        "private_key_cut",
        f"It starts like this:\n{PEM_CUT}\n\nThat is all I saw.",
        ["MIIEvQIBADANBgkqhkiG9wCutLine1", "CutKeyBodyLine2Rr3Ss4"],
    ),
    (
        "known_prefix",
        "Set ANTHROPIC_API_KEY to sk-ant-api03-AbCdEf0123456789_xyzXYZ-qwerty now.",
        ["AbCdEf0123456789_xyzXYZ"],
    ),
    (
        "known_prefix",
        "The token `ghp_1234567890abcdefghijABCDEFGHIJ123456` leaked.",
        ["1234567890abcdefghijABCDEFGHIJ"],
    ),
    ("known_prefix", "Key AKIAIOSFODNN7EXAMPLE is in the log.", ["AKIAIOSFODNN7EXAMPLE"]),
    ("known_prefix", "The bot uses xoxb-2048-1024-AbCdEfGhIjKl.", ["2048-1024-AbCdEfGhIjKl"]),
    (
        "known_prefix",
        "JWT: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0",
        ["eyJhbGciOiJIUzI1NiJ9", "dozjgNryP4J3jVmNHl0w5N"],
    ),
    (
        "known_prefix",
        "Stripe test key: `sk_test_4eC39HqLyjWDarjtT1zdp7dc`.",
        ["4eC39HqLyjWDarjtT1zdp7dc"],
    ),
    (
        "known_prefix",
        "The Hugging Face token hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345 works.",
        ["AbCdEfGhIjKlMnOpQrStUvWxYz"],
    ),
    (
        "known_prefix",
        "GitLab: glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm and npm: npm_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1",
        ["Zx9Yw8Vu7Ts6Rq5Po4Nm", "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1"],
    ),
    (
        "markdown_code_key",
        "- `JWT_SECRET`: `myJwtS3cretValue`\n- `PORT`: `8080`",
        ["myJwtS3cretValue"],
    ),
    ("markdown_code_key", "**Password:** Bo1dPa55word, then log in.", ["Bo1dPa55word"]),
    ("prose_code", "Set the `DB_PASSWORD` env var to `Tbl9S3cret` and restart.", ["Tbl9S3cret"]),
    ("prose_code", "The admin password is `Adm1nPa55!` until you change it.", ["Adm1nPa55"]),
    (
        "random_string",
        "The value Xk9vQ2mZ7tLp4wRb8nYc3sHd was generated.",
        ["Xk9vQ2mZ7tLp4wRb8nYc3sHd"],
    ),
]

# (sentence, a piece of it that must still be heard)
INNOCENT: list[tuple[str, str]] = [
    ("The password reset flow sends an email with a one-time link.", "password reset flow"),
    ("We use a token bucket rate limiter with a capacity of 100.", "token bucket"),
    ("Rotate the API key in the dashboard, then restart the service.", "Rotate the API key"),
    ("Set the secret in your CI settings rather than in the repository.", "Set the secret"),
    ("Released v2.0.0-rc.1 after 1.2.3 fixed the crash.", "v2.0.0-rc.1"),
    ("I edited `auth_token.py` and `password_reset.ts` today.", "auth token.py"),
    ("See https://example.com/auth/login for the login page.", "example.com"),
    ("`token_count = 512` is the budget per request.", "512"),
    ("author: Jane Doe", "Jane Doe"),
    ("Each entry is a `key: value` pair.", "key value"),
    ("The `Authorization` header carries a bearer token.", "bearer token"),
    ("Raise `max_tokens: 4096` for longer answers.", "4096"),
    ("Keep `password_min_length = 12` as it is.", "12"),
    ("The response has `token_type: bearer` in it.", "bearer"),
    ("The pod mounts `secretName: db-credentials` as a volume.", "db credentials"),
    ("Write `password: ${DB_PASSWORD}` so the value comes from the environment.", "DB PASSWORD"),
    ("The workflow sets `DB_PASSWORD: ${{ secrets.DB_PASSWORD }}` for the job.", "secrets"),
    ('Read it with `api_key = os.environ["API_KEY"]` at startup.', "environ"),
    ("Ask for it with `password = getpass.getpass()` instead.", "getpass"),
    ("The signature is `def login(username: str, password: str) -> Token:`.", "password str"),
    ("Password: the one you chose when you signed up.", "the one you chose"),
    ("The model config says `tokenizer: bert-base-uncased`.", "bert"),
    ("Open https://github.com/org/repo/pull/42 to review it.", "github.com"),
    ("The database is at postgres://app@db:5432/app with no password.", "db:5432"),
    ("Then ssh git@github.com to check that the key works.", "github.com"),
    ("Use `--password-file /run/secrets/db` instead of a flag.", "password file"),
    ("The shell had `PWD=/home/jane/project` set.", "project"),
    ("It runs with `AUTH_ENABLED=true` in staging.", "true"),
    ("Replace `api_key: <your-api-key>` with your own.", "your api key"),
    ("Set `OPENAI_API_KEY` in your shell profile.", "OPENAI API KEY"),
    ("The secret sauce is caching, not the algorithm.", "secret sauce"),
    ("The cache uses `SORT_KEY=name` to order rows.", "name"),
    ("The log shows `password: ********` as expected.", "as expected"),
    ("Run `docker run -u 1000:1000 app` to drop root.", "1000:1000"),
    ("Write to jane@example.com or visit https://example.com:8443/path later.", "jane@example.com"),
    ("Use `mysql -u root -p app_db` and type the password when asked.", "app db"),
    ("Bearer tokens expire after one hour.", "Bearer tokens expire"),
    ("OAuth 2.0 uses an access token and a refresh token.", "refresh token"),
    ("Point `private_key_path: ~/.ssh/id_ed25519` at your key.", "id ed25519"),
    ("The header looks like `Authorization: Bearer <token>` in the docs.", "Bearer"),
    ("Use `export API_KEY=$(pass show api/key)` to load it.", "pass show"),
    ("Keep `session_timeout = 30m` for now.", "30m"),
    ("The `secrets.token_hex(16)` call makes a fresh one.", "token hex"),
    ("Token: expired, please log in again.", "expired, please log in"),
    ("Use the `AUTH_SECRET=` variable (empty for now).", "empty for now"),
    ("Convert the token to `str` before you compare it.", "str"),
    ("The password is `required` on every form.", "required"),
    (
        "Your file should start with `-----BEGIN OPENSSH PRIVATE KEY-----` and never be shared.",
        "never be shared",
    ),
]

SECRET_PHRASE = phrases("en")["secret"]
MODES = ["skip", "read_short"]


def _leaks(value: str, spoken: str) -> list[str]:
    """Every piece of the secret (6 characters or more) that can be heard in ``spoken``."""
    squeezed = spoken.replace(" ", "")
    pieces = {value[i : i + 6] for i in range(max(len(value) - 5, 1))}
    return sorted(p for p in pieces if p in spoken or p in squeezed)


def test_the_corpus_is_large_and_varied() -> None:
    assert sum(len(values) for _, _, values in CORPUS) >= 50
    assert len({shape for shape, _, _ in CORPUS}) >= 20
    assert len(INNOCENT) >= 30


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape", "text", "values"), CORPUS, ids=[c[1][:40] for c in CORPUS])
def test_no_secret_is_spoken(shape: str, text: str, values: list[str], mode: str) -> None:
    spoken = " ".join(sentences(text, FilterOptions(code_blocks=mode)))  # type: ignore[arg-type]
    assert [(v, _leaks(v, spoken)) for v in values if _leaks(v, spoken)] == [], (shape, spoken)


@pytest.mark.parametrize(("shape", "text", "values"), CORPUS, ids=[c[1][:40] for c in CORPUS])
def test_the_lower_level_passes_hide_each_secret(shape: str, text: str, values: list[str]) -> None:
    for hide in (sw.hide_secrets, sw.hide_private_keys):
        out = hide(text)
        assert [v for v in values if _leaks(v, out)] == [], (shape, hide.__name__, out)


def test_a_secret_is_said_in_the_output_language() -> None:
    text = "Set DB_PASSWORD=S3cretPass9 now."
    assert sentences(text) == [f"Set DB PASSWORD={SECRET_PHRASE} now."]
    assert sentences(text, lang="ja") == [f"Set DB PASSWORD={phrases('ja')['secret']} now."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Connect with postgres://admin:S3cret@db:5432/app now.",
         "Connect with postgres://admin:a secret@db:5432/app now."),
        ("Use https://bob:pa55word@example.com/x please.", "Use a link to example.com please."),
        ("Send Authorization: Bearer abc.def.ghi now.", "Send Authorization: Bearer a secret now."),
        ("Run curl -u admin:S3cret here.", "Run curl -u admin:a secret here."),
        ('Then "password": "hunter2xyz" in it.', 'Then "password": a secret in it.'),
    ],
)  # fmt: skip
def test_what_stays_readable_around_a_secret(text: str, expected: str) -> None:
    assert sentences(text) == [expected]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("text", "kept"), INNOCENT, ids=[i[0][:40] for i in INNOCENT])
def test_innocent_sentences_survive(text: str, kept: str, mode: str) -> None:
    assert sw.SECRET not in sw.hide_secrets(text)
    assert sw.hide_private_keys(text) == text
    spoken = " ".join(sentences(text, FilterOptions(code_blocks=mode)))  # type: ignore[arg-type]
    assert SECRET_PHRASE not in spoken
    assert kept in spoken


# ---- properties -------------------------------------------------------------------------------

# Letters no key name, prose word or phrase here uses, and digits: any 6 of them heard is a leak.
VALUE = st.text(st.sampled_from("QXZJKV0123456789"), min_size=8, max_size=40).filter(
    lambda v: any(c.isdigit() for c in v) and any(c.isalpha() for c in v)
)
SHAPES = [
    "DB_PASSWORD={v}", "export GITHUB_TOKEN='{v}'", '"client_secret": "{v}"', "api_key: {v}",
    "postgres://admin:{v}@db:5432/app", "curl -u admin:{v} https://x.io",
    "Authorization: Bearer {v}", "--password {v}", "mysql -uroot -p{v} shop",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n{v}\n-----END OPENSSH PRIVATE KEY-----",
    "X-Api-Key: {v}", "<password>{v}</password>",
]  # fmt: skip
WORDS = ["the", "value", "is", "set", "here", ".", ",", "\n", "\n\n", "*", "`", "- ", "# ", "run"]
PROSE = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(PROSE, st.sampled_from(SHAPES), VALUE, PROSE, st.booleans(), st.sampled_from(MODES))
def test_a_secret_inserted_anywhere_is_never_spoken(
    before: str, shape: str, value: str, after: str, in_code: bool, mode: str
) -> None:
    snippet = shape.format(v=value)
    if in_code and "\n" not in snippet:
        snippet = f"`{snippet}`"
    text = f"{before} {snippet} {after}"
    spoken = " ".join(sentences(text, FilterOptions(code_blocks=mode)))  # type: ignore[arg-type]
    assert _leaks(value, spoken) == [], (text, spoken)


# ---- hostile input ------------------------------------------------------------------------------

HOSTILE = {
    "a": "a" * 100_000,
    "=": "=" * 100_000,
    ":": ":" * 100_000,
    "/": "/" * 100_000,
    "@": "@" * 100_000,
    "spaces": " " * 100_000,
    "a=": "a=" * 50_000,
    "a:": "a: " * 33_000,
    "scheme": "a://a:" * 17_000,
    "at": "a://:" + "a@" * 50_000,
    "password=": "password=" * 11_000,
    "quoted": '"password": "' * 7_700,
    "authorization": "Authorization: Bearer " * 4_500,
    "begin": "-----BEGIN RSA PRIVATE KEY-----\n" * 3_100,
    "begin_inline": "-----BEGIN RSA PRIVATE KEY----- " + "AAAAAAAA " * 11_000,
    "mysql": "mysql " + "x " * 50_000,
    "user_flag": "-u a:" * 20_000,
    "xml": "<password>" * 10_000,
    "key_runs": ("A" * 79 + "_KEY =   ") * 1_150,
    "mixed": "a=:/@ \t-_." * 10_000,
    "dots": "a." * 50_000,
    "base64": "Qm9keUxpbmVUd29PZlRoZVJzYUtleQ88+/=" * 3_000,
    "dashes": "-" * 100_000,
    "a-": "a-" * 50_000,
    "home": "~/" * 50_000,
    "url_lazy": "://a" * 25_000,
}
PUBLIC: dict[str, Callable[[str], str]] = {
    "hide_secrets": sw.hide_secrets,
    "hide_private_keys": sw.hide_private_keys,
    "hide_credentials": credentials.hide_credentials,
    "hide_in_message": credentials.hide_in_message,
    "speak_code": lambda s: sw.speak_code(s, "line {line}"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_redacted_in_linear_time(name: str) -> None:
    text = HOSTILE[name]
    assert len(text) >= 99_000
    for label, hide in PUBLIC.items():
        started = time.perf_counter()
        hide(text)
        # Generous: linear code takes milliseconds; a backtracking pattern takes minutes.
        assert time.perf_counter() - started < 2.0, label
