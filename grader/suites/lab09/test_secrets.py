"""Secrets (OWASP A02:2021 Cryptographic Failures, A05:2021 Security Misconfiguration)"""

import base64
import hashlib
import hmac
import json
import re
import time
import zlib

from lab09_kit import STARTER_SECRET, logged_in_as, register, token

from grader.checks import check, expect, fail
from grader.runners.base import AppStartError

SKIPPED_DIRS = {"tests", "test", ".venv", "venv", "__pycache__", "site-packages", "node_modules", ".git"}
HARD_CODED = [
    re.compile(r"""(?i)secret_?key["'\]]*\s*(?::[^=\n]*)?=\s*[rbf]?["'][^"'\n]{4,}["']"""),
    re.compile(r"""(?i)["']secret_?key["']\s*:\s*[rbf]?["'][^"'\n]{4,}["']"""),
    re.compile(r"""(?i)(?:environ\.get|getenv)\(\s*["']secret_?key["']\s*,\s*[rbf]?["'][^"'\n]+["']"""),
]


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _itsdangerous_sign(value: bytes, secret: str, salt: str, derivation: str, timed: bool) -> str:
    """What itsdangerous (used by Starlette, Flask and the starter) signs: value[.timestamp].signature."""
    key = secret.encode()
    if derivation == "hmac":
        derived = hmac.new(key, salt.encode(), hashlib.sha1).digest()
    else:  # "django-concat", itsdangerous' default
        derived = hashlib.sha1(salt.encode() + b"signer" + key).digest()
    if timed:
        now = int(time.time())
        value += b"." + _b64(now.to_bytes((now.bit_length() + 7) // 8 or 1, "big"))
    return (value + b"." + _b64(hmac.new(derived, value, hashlib.sha1).digest())).decode()


def _serialized(data: dict) -> bytes:
    raw = json.dumps(data, separators=(",", ":")).encode()
    packed = zlib.compress(raw)
    return b"." + _b64(packed) if len(packed) < len(raw) - 1 else _b64(raw)


def forged_sessions(secret: str, user_id: int) -> dict[str, str]:
    """Session cookies for user_id, signed with `secret` the way common Python stacks sign them."""
    claims = {"user_id": user_id}
    return {
        "the starter's cookie": _itsdangerous_sign(
            _serialized(claims), secret, "session", "django-concat", False
        ),
        "Starlette's SessionMiddleware": _itsdangerous_sign(
            base64.b64encode(json.dumps(claims).encode()),
            secret,
            "itsdangerous.Signer",
            "django-concat",
            True,
        ),
        "Flask's session": _itsdangerous_sign(_serialized(claims), secret, "cookie-session", "hmac", True),
    }


def _expect_no_start(start_app, env: dict, what: str) -> None:
    try:
        instance = start_app(env=env)
    except AppStartError:
        return
    instance.stop()
    fail(
        f"with {what}, the app started and answered its readiness probe.",
        expected="the app stops at startup with an error",
        actual="it started",
    )


@check(
    "The app refuses to start without SECRET_KEY",
    points=4,
    rules=["R1.1"],
    budget=60,
    hint="A default for a missing secret means production can run with a key everyone knows. Read it "
    "from the environment and stop with an error when it is not set.",
)
def test_refuses_to_start_without_secret(start_app):
    _expect_no_start(start_app, {"SECRET_KEY": None}, "SECRET_KEY unset")


@check(
    "The app refuses an empty or short SECRET_KEY",
    points=2,
    rules=["R1.2"],
    budget=60,
    needs=["refuses_to_start_without_secret"],
    hint="An empty variable is not a secret, and a short one can be guessed: require at least 32 characters.",
)
def test_refuses_weak_secret(start_app):
    _expect_no_start(start_app, {"SECRET_KEY": ""}, "SECRET_KEY empty")
    _expect_no_start(start_app, {"SECRET_KEY": "short-secret"}, "SECRET_KEY=short-secret (12 characters)")
    one_short = "k" * 31  # the edge: 31 characters is still shorter than 32
    _expect_no_start(start_app, {"SECRET_KEY": one_short}, "a 31-character SECRET_KEY")


@check(
    "A session forged with the starter's hard-coded key is refused",
    points=4,
    rules=["R1.3"],
    needs=["injection::api_login_works"],
    hint="Anyone who has read the code (or the repository) knows a hard-coded key and can sign a "
    "session for any user, the admin included. Sign with the key from the environment.",
)
def test_forged_session_refused(new_api, db, lab):
    row = db.execute("SELECT id FROM users WHERE username = %s", (lab.app.env["ADMIN_USERNAME"],)).fetchone()
    admin_id = row[0] if row else 1
    for flavour, cookie in forged_sessions(STARTER_SECRET, admin_id).items():
        client = new_api()
        client.cookies.set("session", cookie)
        me = logged_in_as(client)
        expect(
            me is None,
            f"a session cookie signed like {flavour} with the starter's key logged in as "
            f"{(me or {}).get('username')!r}.",
            expected="GET /api/me: 401",
            actual=f"200 {me}",
        )


@check(
    "Sessions are signed with the SECRET_KEY of the environment",
    points=3,
    rules=["R1.3"],
    budget=60,
    needs=["injection::api_login_works"],
    hint="Two instances with the same SECRET_KEY accept each other's sessions; an instance with another "
    "key refuses them. A key made up at startup logs everyone out at each restart.",
)
def test_secret_from_environment(api, new_api, start_app):
    user = register(api)
    cookies = [(cookie.name, cookie.value) for cookie in api.cookies.jar]
    for env, accepted in (({}, True), ({"SECRET_KEY": "another-secret-" + token(16)}, False)):
        instance = start_app(env=env)
        try:
            client = new_api(instance)
            for name, value in cookies:
                client.cookies.set(name, value)
            me = logged_in_as(client)
        finally:
            instance.stop()
        if accepted:
            expect(
                me is not None and me.get("username") == user.username,
                "a second instance with the same SECRET_KEY did not accept the session of the first.",
                expected=f"GET /api/me: 200 {user.username}",
                actual=f"{me}",
            )
        else:
            expect(
                me is None,
                "an instance with another SECRET_KEY accepted the session of the first.",
                expected="GET /api/me: 401",
                actual=f"200 {me}",
            )


@check(
    "No secret is written in the source code",
    points=1,
    rules=["R7.7"],
    hint='Look for SECRET_KEY = "...", secret_key="..." and os.environ.get("SECRET_KEY", "..."): the '
    "value belongs in the environment (and in the manifest for the grader), not in the code.",
)
def test_no_secret_in_source(submission):
    for path in sorted(submission.rglob("*.py")):
        if SKIPPED_DIRS & set(path.relative_to(submission).parts):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(submission)
        if STARTER_SECRET in text:
            fail(f"{where} still contains the starter's key {STARTER_SECRET!r}.", expected="no literal key")
        for pattern in HARD_CODED:
            if match := pattern.search(text):
                line = text.count("\n", 0, match.start()) + 1
                fail(
                    f"{where}:{line} writes a secret in the code: {match.group(0)[:80]}",
                    expected="the secret read from the environment",
                    actual=match.group(0)[:80],
                )
