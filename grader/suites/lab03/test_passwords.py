"""Password storage"""

from __future__ import annotations

import re
import secrets

from lab03_auth import (
    LEGACY_HASH,
    LEGACY_PASSWORD,
    PASSWORD,
    expect_not_stored,
    password_grant,
    password_hash,
    register,
)

from grader.checks import check, describe, expect, expect_status, fail

ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$")
BCRYPT = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
BCRYPT_SHA256 = re.compile(r"^\$bcrypt-sha256\$v=2,t=2b,r=(\d\d)\$[./A-Za-z0-9]{22}\$[./A-Za-z0-9]{31}$")


def strong_enough(stored: str) -> str | None:
    """Why this hash is not an accepted slow hash, or None (contract, "Users and passwords")."""
    if match := ARGON2.match(stored):
        memory, passes = int(match[1]), int(match[2])
        if memory < 7168 or memory * passes < 35840:
            return f"argon2id with m={memory}, t={passes} is below OWASP's minimum (m*t >= 35840, m >= 7168)"
        return None
    if match := BCRYPT.match(stored) or BCRYPT_SHA256.match(stored):
        cost = int(match[1])
        return None if cost >= 10 else f"bcrypt with a cost of {cost} is below the minimum of 10"
    return "this is not an argon2id or bcrypt hash in passlib's format"


def shown(stored: str) -> str:
    return stored if len(stored) <= 40 else stored[:40] + "…"


@check(
    "users.password_hash holds an argon2id (or bcrypt) hash with at least OWASP's minimum cost",
    points=4,
    rules=["R3.11", "R3.12"],
    hint="Hash with passlib's CryptContext, argon2 first (memory_cost=19456, time_cost=2 is OWASP's "
    "minimum). A fast hash such as SHA-256 falls to billions of guesses per second on a GPU.",
)
def test_hash_is_slow(api, db):
    user = register(api)
    stored = password_hash(db, user.username)
    problem = strong_enough(stored)
    if problem:
        fail(
            f"users.password_hash of {user.username!r}: {problem}.",
            expected="$argon2id$v=19$m=19456,t=2,p=1$... (or $2b$12$...)",
            actual=shown(stored),
        )


@check(
    "Two users with the same password get different hashes (salted)",
    points=2,
    rules=["R3.13"],
    hint="A random salt per password makes equal passwords hash differently, so a precomputed table "
    "or one cracked hash does not give away every account; passlib salts for you.",
)
def test_hash_is_salted(api, db):
    password = f"shared {secrets.token_hex(4)} passphrase"
    first, second = register(api, password), register(api, password)
    one, two = password_hash(db, first.username), password_hash(db, second.username)
    expect(
        one != two,
        "two users registered with the same password have the same password_hash.",
        expected="two different hashes",
        actual=shown(one),
    )


@check(
    "The plain password appears nowhere in the database",
    points=3,
    rules=["R3.14"],
    hint='Store only the hash; not in another column, not in a log table, not "temporarily".',
)
def test_no_plaintext_anywhere(api, db):
    password = f"findable {secrets.token_hex(8)}"
    register(api, password)
    expect_not_stored(db, password, "password")


@check(
    "Long passwords are compared in full: a different 100th character is a different password",
    points=2,
    rules=["R3.10"],
    hint="bcrypt ignores everything after 72 bytes. Use argon2 (or passlib's bcrypt_sha256), so that "
    "the whole passphrase counts.",
)
def test_long_password_compared_in_full(api):
    prefix = secrets.token_hex(45)  # 90 characters
    user = register(api, prefix + " the end one")
    response = password_grant(api, user.username, prefix + " the end two")
    expect(
        response.status_code == 400,
        f"{describe(response)} with a password that differs from the "
        "registered one only after its 90th character: expected 400.",
        expected="400 invalid_grant",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )
    expect_status(password_grant(api, user.username, user.password), 200)


@check(
    "A legacy MD5-crypt hash still logs in, and is replaced by an argon2id/bcrypt hash on login",
    points=3,
    rules=["R3.15"],
    needs="hash_is_slow",
    hint="List md5_crypt in your CryptContext as deprecated and use verify_and_update(): it verifies "
    "and hands you a new hash when the stored one is outdated. Store it.",
)
def test_legacy_hash_upgraded(api, db):
    user = register(api)
    db.execute("UPDATE users SET password_hash = %s WHERE username = %s", (LEGACY_HASH, user.username))
    response = password_grant(api, user.username, LEGACY_PASSWORD)
    expect(
        response.status_code == 200,
        f"{describe(response)}: a user whose stored hash is the md5_crypt of "
        f"{LEGACY_PASSWORD!r} should log in with it.",
        expected="200",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )
    stored = password_hash(db, user.username)
    expect(
        stored != LEGACY_HASH,
        "after a successful login the legacy md5_crypt hash is still stored.",
        expected="a new argon2id or bcrypt hash",
        actual=shown(stored),
    )
    problem = strong_enough(stored)
    expect(
        problem is None,
        f"the hash that replaced the legacy one: {problem}.",
        expected="argon2id or bcrypt",
        actual=shown(stored),
    )
    expect_status(password_grant(api, user.username, LEGACY_PASSWORD), 200)


@check(
    "A failed login on a legacy hash is refused and leaves the hash alone",
    points=1,
    rules=["R3.16"],
    needs="legacy_hash_upgraded",
    hint="Upgrade a hash only after the password was verified against it, never with an unverified password.",
)
def test_legacy_failed_login_changes_nothing(api, db):
    user = register(api, PASSWORD)
    db.execute("UPDATE users SET password_hash = %s WHERE username = %s", (LEGACY_HASH, user.username))
    response = password_grant(api, user.username, "a wrong legacy guess")
    expect_status(response, 400)
    stored = password_hash(db, user.username)
    expect(
        stored == LEGACY_HASH,
        "a failed login changed the stored hash.",
        expected=LEGACY_HASH,
        actual=shown(stored),
    )
