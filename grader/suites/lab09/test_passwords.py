"""Password storage (OWASP A02:2021 Cryptographic Failures, A07:2021 Authentication Failures)"""

import hashlib
import re

from lab09_kit import api_login, register, token

from grader.checks import check, expect, expect_status, fail


def _stored_hash(db, username: str) -> str:
    row = db.execute("SELECT password_hash FROM users WHERE username = %s", (username,)).fetchone()
    if row is None:
        fail(f"no row for {username!r} in the users table.", expected="a users row", actual="none")
    return row[0]


def hash_problem(stored: str) -> str | None:
    """Why this stored value is not an accepted slow, salted password hash (None when it is)."""
    if match := re.fullmatch(
        r"\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", stored
    ):
        memory, time_cost = int(match[1]), int(match[2])
        if memory < 7168 or memory * time_cost < 35840:
            return f"argon2id with m={memory}, t={time_cost} is below OWASP's minimum (e.g. m=19456, t=2)"
        return None
    if match := re.fullmatch(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}", stored):
        return None if int(match[1]) >= 10 else f"bcrypt with cost {match[1]} is below 10"
    scrypt = re.fullmatch(r"\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$\S+\$\S+", stored) or re.fullmatch(
        r"scrypt:(\d+):(\d+):(\d+)\$\S+\$\S+", stored
    )
    if scrypt:
        n = 2 ** int(scrypt[1]) if stored.startswith("$") else int(scrypt[1])
        r, p = int(scrypt[2]), int(scrypt[3])
        return None if r >= 8 and n * p >= 2**16 + 2**14 else f"scrypt with N={n}, r={r}, p={p} is too cheap"
    pbkdf2 = (
        re.fullmatch(r"\$pbkdf2-sha256\$(\d+)\$\S+\$\S+", stored)
        or re.fullmatch(r"pbkdf2:sha256:(\d+)\$\S+\$\S+", stored)
        or re.fullmatch(r"pbkdf2_sha256\$(\d+)\$\S+\$\S+", stored)
    )
    if pbkdf2:
        rounds = int(pbkdf2[1])
        return None if rounds >= 600_000 else f"PBKDF2-SHA256 with {rounds} iterations is below 600000"
    if re.fullmatch(r"[0-9a-fA-F]{32,128}", stored):
        return "a bare hex digest: a fast hash (MD5/SHA), cracked at billions of guesses per second"
    return "not an accepted format (argon2id, bcrypt, scrypt or PBKDF2-SHA256 in their usual encodings)"


def _legacy_user(db) -> tuple[str, str]:
    """A user as the old app stored them: unsalted MD5 of the password, other columns by default."""
    username, password = f"legacy_{token()}", "old-" + token(5)
    db.execute(
        "INSERT INTO users (username, password_hash) VALUES (%s, %s)",
        (username, hashlib.md5(password.encode()).hexdigest()),
    )
    return username, password


@check(
    "Users of the old MD5 era still log in with their password",
    points=2,
    rules=["R2.1", "R3.15"],
    hint="Rows whose password_hash is 32 hex characters hold the unsalted MD5 of the password: verify "
    "those the old way (constant-time comparison), and the right password logs in (200).",
)
def test_legacy_login_works(api, db):
    username, password = _legacy_user(db)
    expect_status(api_login(api, username, "wrong-" + password), 401)
    expect_status(api_login(api, username, password), 200)


@check(
    "A wrong password is refused, the right one accepted",
    points=1,
    rules=["R3.5"],
    hint="POST /api/login: 401 for a wrong password, 200 for the right one.",
)
def test_wrong_password_refused(api, new_api):
    user = register(new_api())
    for wrong in (user.password + "!", user.password.upper(), user.password + " ", user.password[:-1]):
        expect_status(api_login(api, user.username, wrong), 401)
    expect_status(api_login(api, user.username, user.password), 200)


@check(
    "New passwords are stored with a slow, salted hash",
    points=4,
    rules=["R3.13"],
    needs=["wrong_password_refused"],
    hint="MD5 and SHA-256 are built to be fast, which is what a password cracker wants. Use a password "
    "hash (argon2id, bcrypt, scrypt, PBKDF2 with enough iterations) through a library.",
)
def test_new_hash_is_slow(api, db):
    user = register(api)
    stored = _stored_hash(db, user.username)
    problem = hash_problem(stored)
    expect(
        problem is None,
        f"the stored password_hash of {user.username} is {problem}.",
        expected="e.g. $argon2id$v=19$m=19456,t=2,p=1$...",
        actual=stored[:60],
    )
    expect(user.password not in stored, "the password itself is in the stored hash.")


@check(
    "Two users with the same password get different hashes",
    points=2,
    rules=["R3.14"],
    needs=["wrong_password_refused"],
    hint="A random salt per password makes equal passwords look different, so one cracked hash (or a "
    "precomputed table) does not open every account that shares it.",
)
def test_hashes_are_salted(db, new_api):
    password = "same-" + token(5)
    names = []
    for _ in range(2):
        client = new_api()
        username = f"twin_{token()}"
        expect_status(client.post("/api/register", json={"username": username, "password": password}), 201)
        names.append(username)
    first, second = (_stored_hash(db, name) for name in names)
    expect(
        first != second,
        "two users with the same password have the same password_hash.",
        expected="different hashes (random salt)",
        actual=first[:60],
    )


@check(
    "An MD5 hash is replaced by a slow one when its user logs in",
    points=3,
    rules=["R3.16"],
    needs=["legacy_login_works", "new_hash_is_slow"],
    hint="The only moment you have the plain password is a successful login: verify it against the old "
    "hash, then store the new hash. Users never have to reset anything.",
)
def test_legacy_hash_upgraded(api, db):
    username, password = _legacy_user(db)
    old = _stored_hash(db, username)
    expect_status(api_login(api, username, password), 200)
    new = _stored_hash(db, username)
    expect(
        new != old,
        f"after a successful login, {username}'s password_hash is still the MD5 digest.",
        expected="a slow hash",
        actual=new[:60],
    )
    problem = hash_problem(new)
    expect(
        problem is None,
        f"after the login, {username}'s password_hash is {problem}.",
        expected="a slow, salted hash",
        actual=new[:60],
    )
    expect_status(api_login(api, username, password), 200)
    expect_status(api_login(api, username, "wrong-" + password), 401)
