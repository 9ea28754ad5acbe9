"""Known-bad variants of solutions/lab03-auth: the auth mistakes the suite must catch from outside."""
# ruff: noqa: E501 - the edits quote lines of the solution verbatim, some longer than the limit

from tests.mutants import blind, mutant, replace

AUTH = "app/api/routes/auth.py"
DEPS = "app/api/deps.py"
SEC = "app/core/security.py"
PWD = "app/core/passwords.py"
THROTTLE = "app/core/throttle.py"
ERRORS = "app/api/errors.py"
NOTES = "app/api/routes/notes.py"
USERS = "app/api/routes/users.py"
KEYS = "app/api/routes/api_keys.py"
OIDC = "app/api/routes/oidc.py"
SCHEMAS = "app/schemas.py"
MODELS = "app/models.py"
MIGRATION = "migrations/versions/0001_initial_schema.py"

DECODE_OPTIONS = 'options={"require": ["exp", "iat", "sub", "iss", "aud"]},\n    )'

MUTANTS = [
    # -- registration and login ------------------------------------------------------------------------
    mutant(
        "register-200",
        "status_code=201 forgotten on the route",
        replace(
            AUTH,
            '@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)',
            '@router.post("/register", response_model=UserOut)',
        ),
        catches=["registration::register_creates_user"],
        rules=["R3.1"],
    ),
    mutant(
        "duplicate-500",
        "the unique constraint's error is not caught: a taken username is a 500",
        replace(
            AUTH,
            "    try:\n        db.commit()  # the unique constraint decides between concurrent registrations\n"
            "    except IntegrityError:\n        db.rollback()\n"
            '        raise HTTPException(status_code=409, detail="This username is taken") from None\n',
            "    db.commit()\n",
        ),
        catches=["registration::duplicate_username_409"],
        rules=["R3.4"],
    ),
    mutant(
        "duplicate-check-then-insert",
        "the route checks for the name first and forgets the constraint's error: racing requests get 500",
        replace(
            AUTH,
            "    try:\n        db.commit()  # the unique constraint decides between concurrent registrations\n"
            "    except IntegrityError:\n        db.rollback()\n"
            '        raise HTTPException(status_code=409, detail="This username is taken") from None\n',
            "    db.commit()\n",
        ),
        replace(
            AUTH,
            '    user = User(username=body.username, password_hash=hash_password(body.password), role="user")\n',
            "    if db.scalar(select(User).where(User.username == body.username)) is not None:\n"
            '        raise HTTPException(status_code=409, detail="This username is taken")\n'
            '    user = User(username=body.username, password_hash=hash_password(body.password), role="user")\n',
        ),
        catches=["registration::duplicate_race"],
        rules=["R3.5"],
    ),
    mutant(
        "username-unchecked",
        "any string is accepted as a username",
        replace(SCHEMAS, 'username: str = Field(pattern=r"^[a-z0-9_]{3,32}$")', "username: str"),
        catches=["registration::username_rules_422"],
        rules=["R3.3"],
    ),
    mutant(
        "min-length-8",
        "the old habit of 8 characters instead of the contract's 10",
        replace(PWD, "MIN_LENGTH = 10", "MIN_LENGTH = 8"),
        catches=["registration::password_length_limits"],
        rules=["R3.6"],
    ),
    mutant(
        "blocklist-case-sensitive",
        "the blocklist is compared as typed: QwertyUiop slips through",
        replace(
            PWD, "    if password.lower() in common_passwords():", "    if password in common_passwords():"
        ),
        catches=["registration::common_password_422"],
        rules=["R3.7"],
    ),
    mutant(
        "username-in-password-allowed",
        "the rule against passwords containing the username is missing",
        replace(
            PWD,
            '    if username.lower() in password.lower():\n        return "the password must not contain the username"\n',
            "",
        ),
        catches=["registration::username_in_password_422"],
        rules=["R3.8"],
    ),
    mutant(
        "composition-rules",
        '"at least one digit": passphrases are refused',
        replace(
            PWD,
            "    if password.lower() in common_passwords():",
            '    if not any(c.isdigit() for c in password):\n        return "add a digit"\n'
            "    if password.lower() in common_passwords():",
        ),
        catches=["registration::passphrases_welcome"],
        rules=["R3.9"],
    ),
    mutant(
        "role-mass-assignment",
        "the role is read from the registration body",
        replace(
            SCHEMAS,
            "    password: str\n\n\nclass UserOut",
            '    password: str\n    role: str = "user"\n\n\nclass UserOut',
        ),
        replace(
            AUTH,
            'password_hash=hash_password(body.password), role="user")',
            "password_hash=hash_password(body.password), role=body.role)",
        ),
        catches=["registration::role_not_client_chosen"],
        rules=["R3.2"],
    ),
    mutant(
        "token-cacheable",
        "the token response has no Cache-Control: no-store",
        replace(AUTH, 'headers={"Cache-Control": "no-store", "Pragma": "no-cache"}', "headers={}"),
        catches=["registration::token_password_grant", "refresh::refresh_rotates"],
        rules=["R4.2"],
    ),
    mutant(
        "login-fails-401",
        "bad credentials answer 401 like FastAPI's tutorial, not RFC 6749's 400 invalid_grant",
        replace(
            ERRORS,
            '    return OAuthError("invalid_grant", "Incorrect username or password")',
            '    return OAuthError("invalid_grant", "Incorrect username or password", status_code=401)',
        ),
        catches=["registration::bad_credentials_invalid_grant"],
        rules=["R4.3"],
    ),
    mutant(
        "user-enumeration-message",
        "an unknown username gets its own message",
        replace(
            AUTH,
            "    if not ok or user is None:\n",
            "    if user is None:\n"
            '        raise OAuthError("invalid_grant", "No such user")\n    if not ok:\n',
        ),
        catches=["registration::no_user_enumeration"],
        rules=["R4.4"],
    ),
    mutant(
        "user-enumeration-timing",
        "unknown usernames skip the password check and answer at once",
        replace(
            SEC,
            "    if stored_hash is None:\n        pwd_context.verify(password, DUMMY_HASH)\n",
            "    if stored_hash is None:\n",
        ),
        catches=["registration::login_timing"],
        rules=["R4.5"],
    ),
    # -- password storage ------------------------------------------------------------------------------
    mutant(
        "plaintext-passwords",
        "passwords stored as they are (passlib's plaintext scheme)",
        replace(SEC, 'schemes=["argon2", "md5_crypt"],', 'schemes=["plaintext"],'),
        catches=["passwords::hash_is_slow", "passwords::hash_is_salted", "passwords::no_plaintext_anywhere"],
        rules=["R3.12", "R3.13", "R3.14"],
    ),
    mutant(
        "fast-unsalted-hash",
        "SHA-256 hex digests: fast and unsalted",
        replace(SEC, 'schemes=["argon2", "md5_crypt"],', 'schemes=["hex_sha256", "md5_crypt"],'),
        replace(
            SEC, "    argon2__memory_cost=19456,\n    argon2__time_cost=2,\n    argon2__parallelism=1,\n", ""
        ),
        catches=["passwords::hash_is_slow", "passwords::hash_is_salted"],
        rules=["R3.12", "R3.13"],
    ),
    mutant(
        "argon2-too-cheap",
        "argon2 turned down to 1 MiB and one pass to make tests faster",
        replace(
            SEC,
            "    argon2__memory_cost=19456,\n    argon2__time_cost=2,\n",
            "    argon2__memory_cost=1024,\n    argon2__time_cost=1,\n",
        ),
        catches=["passwords::hash_is_slow"],
        rules=["R3.12"],
    ),
    mutant(
        "truncate-72",
        "passwords cut at 72 characters, as bcrypt does",
        replace(
            SEC, "    return pwd_context.hash(password)\n", "    return pwd_context.hash(password[:72])\n"
        ),
        replace(
            SEC,
            "    return pwd_context.verify_and_update(password, stored_hash)",
            "    return pwd_context.verify_and_update(password[:72], stored_hash)",
        ),
        catches=["passwords::long_password_compared_in_full"],
        rules=["R3.10"],
    ),
    mutant(
        "no-rehash",
        "the new hash from verify_and_update is thrown away",
        replace(AUTH, "    if new_hash:\n        user.password_hash = new_hash\n        db.commit()\n", ""),
        catches=["passwords::legacy_hash_upgraded"],
        rules=["R3.15"],
    ),
    mutant(
        "rehash-before-verify",
        "outdated hashes are replaced with the hash of whatever password was typed, before checking it",
        replace(
            AUTH,
            "    user = db.scalar(select(User).where(User.username == username))\n",
            "    user = db.scalar(select(User).where(User.username == username))\n"
            '    if user is not None and user.password_hash.startswith("$1$"):\n'
            "        user.password_hash = hash_password(password)\n        db.commit()\n",
        ),
        catches=["passwords::legacy_failed_login_changes_nothing"],
        rules=["R3.16"],
    ),
    # -- JWT -----------------------------------------------------------------------------------------
    mutant(
        "ttl-hard-coded",
        "the access token lifetime is written in the code",
        replace(SEC, '        "exp": now + settings.access_token_ttl,', '        "exp": now + 3600,'),
        catches=["tokens::issued_token_claims", "lifetimes::access_ttl_from_env"],
        rules=["R5.1", "R1.1"],
    ),
    mutant(
        "allowlist-of-issued-tokens",
        "the app requires a jti it put in itself: tokens it did not issue are refused",
        replace(
            SEC,
            '        "exp": now + settings.access_token_ttl,\n',
            '        "exp": now + settings.access_token_ttl,\n        "jti": "notes-" + secrets.token_hex(8),\n',
        ),
        replace(
            SEC, DECODE_OPTIONS, 'options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]},\n    )'
        ),
        catches=["tokens::minted_token_accepted"],
        rules=["R5.8"],
    ),
    mutant(
        "signature-not-verified",
        'jwt.decode with verify_signature=False ("it\'s our own token anyway")',
        replace(
            SEC,
            DECODE_OPTIONS,
            'options={"verify_signature": False, "require": ["exp", "iat", "sub", "iss", "aud"]},\n    )',
        ),
        catches=[
            "tokens::alg_none_rejected",
            "tokens::other_key_rejected",
            "tokens::tampered_payload_rejected",
        ],
        rules=["R5.2"],
    ),
    mutant(
        "algorithm-from-header",
        "the algorithms list comes from the token's own header (PyJWT still refuses none with a key)",
        replace(
            SEC,
            "        algorithms=[ALGORITHM],",
            '        algorithms=[jwt.get_unverified_header(token)["alg"]],',
        ),
        catches=["tokens::other_algorithm_rejected"],
        rules=["R5.2"],
    ),
    mutant(
        "all-hmac-algorithms",
        "every HMAC algorithm is allowed",
        replace(SEC, "        algorithms=[ALGORITHM],", '        algorithms=["HS256", "HS384", "HS512"],'),
        catches=["tokens::other_algorithm_rejected"],
        rules=["R5.2"],
    ),
    mutant(
        "expiry-not-checked",
        "verify_exp turned off",
        replace(
            SEC,
            DECODE_OPTIONS,
            'options={"verify_exp": False, "require": ["exp", "iat", "sub", "iss", "aud"]},\n    )',
        ),
        catches=["tokens::expired_rejected"],
        rules=["R5.4"],
    ),
    mutant(
        "exp-not-required",
        "PyJWT only checks exp when it is there, and exp is not required",
        replace(SEC, DECODE_OPTIONS, 'options={"require": ["iat", "sub", "iss", "aud"]},\n    )'),
        catches=["tokens::missing_exp_rejected"],
        rules=["R5.3"],
    ),
    mutant(
        "audience-not-checked",
        "verify_aud turned off",
        replace(
            SEC,
            DECODE_OPTIONS,
            'options={"verify_aud": False, "require": ["exp", "iat", "sub", "iss", "aud"]},\n    )',
        ),
        catches=["tokens::wrong_audience_rejected"],
        rules=["R5.6"],
    ),
    mutant(
        "issuer-not-checked",
        "issuer= is not passed to jwt.decode",
        replace(SEC, "        issuer=settings.jwt_issuer,\n        options", "        options"),
        catches=["tokens::wrong_issuer_rejected"],
        rules=["R5.5"],
    ),
    mutant(
        "unknown-subject-404",
        "a token for a deleted user answers 404",
        replace(
            DEPS,
            "    user = db.get(User, user_id)\n    if user is None:\n        raise unauthorized(invalid_token=True)\n",
            "    user = db.get(User, user_id)\n    if user is None:\n"
            '        raise HTTPException(status_code=404, detail="User not found")\n',
        ),
        catches=["tokens::unknown_subject_rejected"],
        rules=["R5.7"],
    ),
    mutant(
        "some-jwt-errors-uncaught",
        "only the JWT errors the author thought of are caught: a malformed token is a 500",
        replace(
            DEPS,
            "    except (jwt.PyJWTError, ValueError, TypeError):",
            "    except (jwt.ExpiredSignatureError, jwt.InvalidSignatureError, jwt.InvalidAudienceError,\n"
            "            jwt.InvalidIssuerError, jwt.MissingRequiredClaimError, jwt.InvalidAlgorithmError):",
        ),
        catches=["tokens::malformed_rejected"],
        rules=["R5.9"],
    ),
    mutant(
        "no-challenge",
        "401 without WWW-Authenticate when no credentials are sent",
        replace(
            ERRORS,
            '    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})',
            "    if invalid_token:\n"
            '        return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})\n'
            "    return HTTPException(status_code=401, detail=detail)",
        ),
        catches=["tokens::missing_credentials_401"],
        rules=["R2.3", "R2.4"],
    ),
    # -- refresh tokens --------------------------------------------------------------------------------
    mutant(
        "refresh-not-rotated",
        "the refresh token is reused as it is",
        replace(
            AUTH,
            "    row.used_at = now\n    token = _new_refresh_token(db, settings, row.user_id, row.family_id)\n",
            "    token = presented\n",
        ),
        catches=["refresh::refresh_rotates"],
        rules=["R6.4"],
    ),
    mutant(
        "used-token-still-valid",
        "a new refresh token is issued but the old one is not marked used",
        replace(
            AUTH, "    row.used_at = now\n    token = _new_refresh_token(", "    token = _new_refresh_token("
        ),
        catches=["refresh::used_refresh_rejected"],
        rules=["R6.4"],
    ),
    mutant(
        "reuse-not-detected",
        "a used token is refused but its family lives on",
        replace(
            AUTH,
            "    if row.used_at is not None:\n",
            "    if row.used_at is not None:\n"
            '        raise OAuthError("invalid_grant", "Invalid refresh token")\n',
        ),
        catches=["refresh::reuse_revokes_family"],
        rules=["R6.5"],
    ),
    mutant(
        "refresh-race",
        "no row lock: concurrent refreshes with one token all succeed",
        replace(AUTH, "    row = db.scalar(query.with_for_update())", "    row = db.scalar(query)"),
        catches=["refresh::refresh_race"],
        rules=["R6.6"],
    ),
    mutant(
        "logout-does-nothing",
        "logout answers 204 and forgets to revoke anything",
        replace(
            AUTH, "    if row is not None:\n        db.execute(", "    if row is None:\n        db.execute("
        ),
        catches=["refresh::logout_revokes"],
        rules=["R6.7"],
    ),
    mutant(
        "unknown-refresh-500",
        "an unknown refresh token crashes the lookup",
        replace(
            AUTH,
            "    if row is None or row.revoked_at is not None or row.expires_at <= now:",
            "    if row.revoked_at is not None or row.expires_at <= now:",
        ),
        catches=["refresh::unknown_refresh_token"],
        rules=["R4.3", "R6.7"],
    ),
    mutant(
        "secrets-in-clear",
        "refresh tokens, session ids and API keys stored as they are",
        replace(SEC, "    return hashlib.sha256(secret.encode()).hexdigest()", "    return secret"),
        catches=[
            "refresh::refresh_stored_hashed",
            "sessions::session_stored_hashed",
            "api_keys::key_stored_hashed",
        ],
        rules=["R6.3", "R7.8", "R9.6"],
    ),
    mutant(
        "refresh-never-expires",
        "the refresh token's expiry is stored but never compared",
        replace(
            AUTH,
            "    if row is None or row.revoked_at is not None or row.expires_at <= now:",
            "    if row is None or row.revoked_at is not None:",
        ),
        catches=["lifetimes::refresh_expires"],
        rules=["R6.2"],
    ),
    # -- sessions --------------------------------------------------------------------------------------
    mutant(
        "cookie-path-auth",
        "the cookie is scoped to /auth, where it was set",
        replace(
            AUTH,
            '        max_age=settings.session_ttl,\n        path="/",',
            '        max_age=settings.session_ttl,\n        path="/auth",',
        ),
        catches=["sessions::session_login_works"],
        rules=["R7.1"],
    ),
    mutant(
        "cookie-not-httponly",
        "JavaScript can read the session cookie",
        replace(AUTH, "        httponly=True,  # out of reach", "        httponly=False,  # out of reach"),
        catches=["sessions::cookie_httponly"],
        rules=["R7.2"],
    ),
    mutant(
        "cookie-not-secure",
        "the session cookie travels over plain http too",
        replace(AUTH, "        secure=True,  # never sent", "        secure=False,  # never sent"),
        catches=["sessions::cookie_secure"],
        rules=["R7.3"],
    ),
    mutant(
        "cookie-without-samesite",
        "no SameSite attribute",
        replace(AUTH, '        samesite="lax",  # not sent', "        samesite=None,  # not sent"),
        catches=["sessions::cookie_samesite"],
        rules=["R7.4"],
    ),
    mutant(
        "short-session-id",
        "64-bit session ids",
        replace(AUTH, "    session_id = new_secret()\n", "    session_id = secrets.token_hex(8)\n"),
        replace(AUTH, "import uuid\n", "import secrets\nimport uuid\n"),
        catches=["sessions::session_id_random"],
        rules=["R7.6"],
    ),
    mutant(
        "session-fixation",
        "the id the browser brought is kept for the new session",
        replace(AUTH, "    session_id = new_secret()\n", "    session_id = old_id or new_secret()\n"),
        catches=["sessions::planted_id_not_adopted", "sessions::relogin_rotates"],
        rules=["R7.9", "R7.10"],
    ),
    mutant(
        "old-session-kept",
        "a new login leaves the previous session alive",
        replace(
            AUTH,
            "        db.execute(delete(WebSession).where(WebSession.id_hash == digest(old_id)))\n",
            "        pass\n",
        ),
        catches=["sessions::relogin_rotates"],
        rules=["R7.10"],
    ),
    mutant(
        "logout-client-side-only",
        "logout deletes the cookie but not the session",
        replace(
            AUTH,
            "    if session:\n        db.execute(delete(WebSession).where(WebSession.id_hash == digest(session)))\n        db.commit()\n",
            "",
        ),
        catches=["sessions::logout_invalidates"],
        rules=["R7.11"],
    ),
    mutant(
        "logout-keeps-cookie",
        "logout does not clear the cookie",
        replace(
            AUTH,
            '    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")\n',
            "",
        ),
        catches=["sessions::logout_clears_cookie"],
        rules=["R7.12"],
    ),
    mutant(
        "session-never-expires",
        "the session's expiry is not compared",
        replace(
            DEPS,
            "        .where(WebSession.id_hash == digest(session_id), WebSession.expires_at > datetime.now(UTC))",
            "        .where(WebSession.id_hash == digest(session_id))",
        ),
        catches=["lifetimes::session_expires"],
        rules=["R7.7"],
    ),
    # -- roles and ownership ---------------------------------------------------------------------------
    mutant(
        "403-401-swapped",
        "a user without the role gets 401",
        replace(
            DEPS,
            '        raise HTTPException(status_code=403, detail="Administrators only")',
            '        raise HTTPException(status_code=401, detail="Administrators only")',
        ),
        catches=["rbac::user_forbidden_403"],
        rules=["R2.5", "R8.3"],
    ),
    mutant(
        "admin-list-leaks-hashes",
        "the admin list returns the rows as they are, hashes included",
        replace(
            USERS,
            "    return db.scalars(select(User).order_by(User.id)).all()",
            '    return [{"id": u.id, "username": u.username, "role": u.role, "password_hash": u.password_hash}\n'
            "            for u in db.scalars(select(User).order_by(User.id)).all()]",
        ),
        replace(
            USERS,
            '@router.get("/admin/users", response_model=list[UserOut])\ndef list_users(_: AdminUser, db: SessionDep) -> Sequence[User]:',
            '@router.get("/admin/users")\ndef list_users(_: AdminUser, db: SessionDep) -> list[dict]:',
        ),
        catches=["rbac::admin_lists_users"],
        rules=["R8.2"],
    ),
    mutant(
        "delete-answers-200",
        "DELETE /notes/{id} answers 200",
        replace(
            NOTES,
            '@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)',
            '@router.delete("/{note_id}")',
        ),
        catches=["rbac::notes_crud"],
        rules=["R8.6"],
    ),
    mutant(
        "bola",
        "notes are looked up by id only",
        replace(
            NOTES,
            '    if row is None or (row.Note.owner_id != user.id and user.role != "admin"):',
            "    if row is None:",
        ),
        catches=["rbac::others_note_404"],
        rules=["R8.7"],
    ),
    mutant(
        "list-all-notes",
        "GET /notes forgets the owner filter",
        replace(
            NOTES,
            "    notes = db.scalars(select(Note).where(Note.owner_id == user.id).order_by(Note.id)).all()",
            "    notes = db.scalars(select(Note).order_by(Note.id)).all()",
        ),
        catches=["rbac::notes_list_own_only"],
        rules=["R8.5"],
    ),
    mutant(
        "admin-not-special",
        "the ownership rule has no exception for admins",
        replace(
            NOTES,
            '    if row is None or (row.Note.owner_id != user.id and user.role != "admin"):',
            "    if row is None or row.Note.owner_id != user.id:",
        ),
        catches=["rbac::admin_reads_any_note"],
        rules=["R8.6"],
    ),
    # -- API keys --------------------------------------------------------------------------------------
    mutant(
        "api-key-header-name",
        "the key is read from another header than the contract's X-API-Key",
        replace(
            DEPS,
            'APIKeyHeader(name="X-API-Key", auto_error=False)',
            'APIKeyHeader(name="X-Api-Token", auto_error=False)',
        ),
        catches=["api_keys::create_and_use"],
        rules=["R2.2", "R9.5"],
    ),
    mutant(
        "api-key-in-clear-and-listed",
        "the key is stored as it is, and the list shows that column",
        replace(
            KEYS,
            "    row = ApiKey(user_id=user.id, name=body.name, key_hash=digest(key))",
            "    row = ApiKey(user_id=user.id, name=body.name, key_hash=key)",
        ),
        replace(DEPS, ".where(ApiKey.key_hash == digest(key))", ".where(ApiKey.key_hash == key)"),
        replace(
            SCHEMAS,
            "    name: str\n    created_at: datetime\n",
            "    name: str\n    created_at: datetime\n    key_hash: str\n",
        ),
        replace(
            KEYS,
            "created_at=row.created_at, key=key)",
            "created_at=row.created_at, key_hash=row.key_hash, key=key)",
        ),
        catches=["api_keys::list_hides_key", "api_keys::key_stored_hashed"],
        rules=["R9.1", "R9.2", "R9.6"],
    ),
    mutant(
        "api-key-in-clear",
        "the key is stored as it is",
        replace(
            KEYS,
            "    row = ApiKey(user_id=user.id, name=body.name, key_hash=digest(key))",
            "    row = ApiKey(user_id=user.id, name=body.name, key_hash=key)",
        ),
        replace(DEPS, ".where(ApiKey.key_hash == digest(key))", ".where(ApiKey.key_hash == key)"),
        catches=["api_keys::key_stored_hashed"],
        rules=["R9.6"],
    ),
    mutant(
        "revoke-not-committed",
        "the DELETE is never committed: the key keeps working",
        replace(
            KEYS,
            '        raise HTTPException(status_code=404, detail="API key not found")\n    db.commit()\n',
            '        raise HTTPException(status_code=404, detail="API key not found")\n',
        ),
        catches=["api_keys::revoke_immediate"],
        rules=["R9.3"],
    ),
    mutant(
        "revoke-any-key",
        "DELETE /api-keys/{id} does not check the owner",
        replace(
            KEYS,
            "delete(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user.id)",
            "delete(ApiKey).where(ApiKey.id == key_id)",
        ),
        catches=["api_keys::other_user_cannot_revoke"],
        rules=["R9.4"],
    ),
    mutant(
        "api-key-401-without-challenge",
        "a bad API key answers 401 without WWW-Authenticate",
        replace(
            DEPS,
            "    user = db.scalar(query)\n    if user is None:\n        raise unauthorized(invalid_token=True)\n",
            '    user = db.scalar(query)\n    if user is None:\n        raise HTTPException(status_code=401, detail="Invalid API key")\n',
        ),
        catches=["api_keys::unknown_key_401"],
        rules=["R2.3"],
    ),
    # -- brute force -----------------------------------------------------------------------------------
    mutant(
        "no-lockout",
        "failures are counted but never enforced",
        replace(AUTH, "    if retry_after is not None:\n        raise LockedOut(retry_after)\n", ""),
        catches=["bruteforce::lockout_after_max_failures"],
        rules=["R10.3"],
    ),
    mutant(
        "lockout-off-by-one",
        "the lock starts one failure early",
        replace(
            THROTTLE,
            "        if attempts <= self.max_failures:\n",
            "        if attempts < self.max_failures:\n",
        ),
        catches=["bruteforce::threshold_exact"],
        rules=["R10.3"],
    ),
    mutant(
        "success-keeps-count",
        "a successful login does not reset the count",
        replace(
            THROTTLE,
            "        db.execute(delete(LoginAttempts).where(LoginAttempts.username == username))\n        db.commit()\n",
            "        return\n",
        ),
        catches=["bruteforce::success_resets_count"],
        rules=["R10.5"],
    ),
    mutant(
        "session-login-unthrottled",
        "the cookie login has its own, unlimited throttle",
        replace(
            AUTH,
            "    user = authenticate(db, throttle, username, password)\n    start_session(",
            "    user = authenticate(db, LoginThrottle(10**6, 1), username, password)\n    start_session(",
        ),
        catches=["bruteforce::lockout_covers_sessions"],
        rules=["R10.1"],
    ),
    mutant(
        "only-real-users-locked",
        "failures of unknown usernames are not counted",
        replace(
            AUTH,
            "    retry_after = throttle.attempt(db, username)\n",
            "    exists = db.scalar(select(User.id).where(User.username == username)) is not None\n"
            "    retry_after = throttle.attempt(db, username) if exists else None\n",
        ),
        catches=["bruteforce::unknown_users_locked"],
        rules=["R10.2"],
    ),
    mutant(
        "global-lockout",
        "one counter for everybody",
        replace(
            AUTH,
            "    retry_after = throttle.attempt(db, username)",
            '    retry_after = throttle.attempt(db, "*")',
        ),
        replace(AUTH, "    throttle.succeeded(db, username)\n", '    throttle.succeeded(db, "*")\n'),
        catches=["bruteforce::other_users_unaffected"],
        rules=["R10.6"],
    ),
    mutant(
        "failure-limit-hard-coded",
        "the limit is written in the code",
        replace(
            DEPS,
            "    return LoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)",
            "    return LoginThrottle(3, settings.login_lockout_seconds)",
        ),
        catches=["lifetimes::failure_limit_from_env"],
        rules=["R1.1", "R10.3"],
    ),
    mutant(
        "lockout-extended-by-attempts",
        "every attempt during the lockout starts it again",
        replace(
            THROTTLE,
            "            WHEN a.locked_until > now() THEN a.locked_until\n",
            "            WHEN a.locked_until > now() THEN now() + :lockout\n",
        ),
        catches=["lifetimes::lockout_lifts"],
        rules=["R10.4"],
    ),
    mutant(
        "lockout-check-then-act",
        'the count is shared in the database but taken after the password check: "is it locked? check the '
        'password; count the failure" lets a whole burst of guesses through the question',
        replace(
            AUTH,
            "    retry_after = throttle.attempt(db, username)\n",
            "    retry_after = throttle.locked(db, username)\n",
        ),
        replace(
            AUTH,
            "        raise invalid_grant()  # the attempt stays counted: it was a failure\n",
            "        throttle.attempt(db, username)\n        raise invalid_grant()\n",
        ),
        replace(
            THROTTLE, "from datetime import timedelta\n", "from datetime import UTC, datetime, timedelta\n"
        ),
        replace(
            THROTTLE,
            "    def succeeded(",
            "    def locked(self, db: Session, username: str) -> int | None:\n"
            "        row = db.get(LoginAttempts, username)\n"
            "        if row is None or row.locked_until is None or row.locked_until <= datetime.now(UTC):\n"
            "            return None\n"
            "        return max(1, math.ceil((row.locked_until - datetime.now(UTC)).total_seconds()))\n\n"
            "    def succeeded(",
        ),
        catches=["bruteforce::concurrent_attempts_limited"],
        rules=["R10.7"],
    ),
    mutant(
        "lockout-per-process",
        "the count is taken atomically before the password check, but in the memory of one process: "
        "each instance of the app gives an attacker its own LOGIN_MAX_FAILURES guesses",
        replace(
            THROTTLE,
            "class LoginThrottle:\n",
            "_COUNTS: dict[str, tuple[int, float]] = {}\n_COUNTS_LOCK = threading.Lock()\n\n\n"
            "class LoginThrottle:\n",
        ),
        replace(THROTTLE, "import math\n", "import math\nimport threading\nimport time\n"),
        replace(
            THROTTLE,
            "        attempts, seconds_left = db.execute(_COUNT_ATTEMPT, params).one()\n        db.commit()\n",
            "        with _COUNTS_LOCK:\n"
            "            now = time.monotonic()\n"
            "            attempts, locked_until = _COUNTS.get(username, (0, 0.0))\n"
            "            if locked_until and locked_until <= now:\n"
            "                attempts, locked_until = 0, 0.0\n"
            "            attempts += 1\n"
            "            if attempts >= self.max_failures and not locked_until:\n"
            "                locked_until = now + self.lockout_seconds\n"
            "            _COUNTS[username] = (attempts, locked_until)\n"
            "        seconds_left = locked_until - now\n",
        ),
        replace(
            THROTTLE,
            "        db.execute(delete(LoginAttempts).where(LoginAttempts.username == username))\n        db.commit()\n",
            "        with _COUNTS_LOCK:\n            _COUNTS.pop(username, None)\n",
        ),
        catches=["bruteforce::count_shared_by_instances"],
        rules=["R10.8"],
    ),
    # -- OpenID Connect (extra credit) -----------------------------------------------------------------
    mutant(
        "oidc-no-pkce",
        "the authorization request has no PKCE, the token request no code_verifier",
        replace(
            OIDC,
            '            "code_challenge": challenge,\n            "code_challenge_method": "S256",\n',
            "",
        ),
        replace(OIDC, '                "code_verifier": login.code_verifier,\n', ""),
        catches=["oidc::login_redirect"],  # login_works then waits behind it (skipped)
        rules=["R11.2", "R11.4"],
    ),
    mutant(
        "oidc-no-client-secret",
        "the code is exchanged without client authentication",
        replace(OIDC, '                "client_secret": settings.oidc_client_secret,\n', ""),
        catches=["oidc::login_works"],
        rules=["R11.4"],
    ),
    mutant(
        "oidc-new-account-each-login",
        "every login creates a new local account",
        replace(MODELS, '    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)\n', ""),
        replace(MIGRATION, '        sa.UniqueConstraint("oidc_issuer", "oidc_subject"),\n', ""),
        replace(
            OIDC,
            "    user = db.scalar(query)\n    if user is None:\n",
            "    user = None\n    if user is None:\n",
        ),
        replace(
            OIDC,
            '        name = "oidc_" + hashlib.sha256(f"{issuer} {subject}".encode()).hexdigest()[:20]',
            '        name = "oidc_" + secrets.token_hex(10)',
        ),
        catches=["oidc::same_subject_same_user"],
        rules=["R11.8"],
    ),
    mutant(
        "oidc-state-not-bound",
        "any state the app issued is accepted, from any browser",
        replace(
            OIDC,
            "    if not code or not state or not state_cookie or not hmac.compare_digest(state, state_cookie):",
            "    if not code or not state:",
        ),
        catches=["oidc::state_checked"],
        rules=["R11.3"],
    ),
    mutant(
        "oidc-nonce-ignored",
        "the id_token's nonce is not compared",
        replace(
            OIDC,
            '    if not hmac.compare_digest(str(claims["nonce"]), login.nonce):\n        raise _bad("the nonce does not match")\n',
            "",
        ),
        catches=["oidc::nonce_checked"],
        rules=["R11.5"],
    ),
    mutant(
        "oidc-signature-not-verified",
        "the id_token is decoded without verifying its signature",
        replace(
            OIDC,
            '            options={"require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},',
            '            options={"verify_signature": False, "require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},',
        ),
        catches=["oidc::signature_checked"],
        rules=["R11.5"],
    ),
    mutant(
        "oidc-audience-ignored",
        "the id_token's audience is not checked",
        replace(
            OIDC,
            '            options={"require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},',
            '            options={"verify_aud": False, "require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},',
        ),
        catches=["oidc::audience_and_issuer_checked"],
        rules=["R11.5"],
    ),
    mutant(
        "oidc-expiry-ignored",
        "the id_token's expiry is not checked",
        replace(
            OIDC,
            '            options={"require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},',
            '            options={"verify_exp": False, "require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},',
        ),
        catches=["oidc::expired_id_token"],
        rules=["R11.5"],
    ),
    mutant(
        "oidc-link-by-username",
        "provider accounts are linked to local users by preferred_username",
        replace(
            OIDC,
            '    user = _local_user(db, str(claims["iss"]), str(claims["sub"]))',
            '    user = db.scalar(select(User).where(User.username == claims.get("preferred_username")))\n'
            '    user = user or _local_user(db, str(claims["iss"]), str(claims["sub"]))',
        ),
        catches=["oidc::no_account_takeover"],
        rules=["R11.9"],
    ),
]

# -- issue 12's known escapes and the checks added for them ---------------------------------------------
MUTANTS += [
    mutant(
        "aud-checked-only-when-present",
        "the audience is compared by hand, and only when the token has an aud claim: a token with no aud passes",
        replace(
            SEC,
            DECODE_OPTIONS,
            'options={"verify_aud": False, "require": ["exp", "iat", "sub", "iss"]},\n    )',
        ),
        replace(
            SEC,
            "def new_secret(",
            "def _check_audience(claims: dict[str, Any], settings: Settings) -> dict[str, Any]:\n"
            '    aud = claims.get("aud")\n'
            "    if aud is not None and settings.jwt_audience not in ([aud] if isinstance(aud, str) else aud):\n"
            '        raise jwt.InvalidAudienceError("wrong audience")\n'
            "    return claims\n\n\n"
            "def new_secret(",
        ),
        replace(
            DEPS,
            "        claims = decode_access_token(token, settings)\n",
            "        claims = decode_access_token(token, settings)\n        _check_audience(claims, settings)\n",
        ),
        replace(
            DEPS,
            "from app.core.security import decode_access_token, digest",
            "from app.core.security import _check_audience, decode_access_token, digest",
        ),
        catches=["tokens::missing_claims_rejected"],
        rules=["R5.3"],
    ),
    mutant(
        "exp-leeway-120",
        'a leeway of two minutes "for clock skew": tokens expired 31 to 120 seconds ago still work',
        replace(
            SEC,
            "        issuer=settings.jwt_issuer,\n        options",
            "        issuer=settings.jwt_issuer,\n        leeway=120,\n        options",
        ),
        catches=["tokens::expiry_leeway_at_most_30s"],
        rules=["R5.4"],
    ),
    mutant(
        "admin-role-from-token-claim",
        "the admin check believes a role claim in the bearer token when there is one",
        replace(
            DEPS,
            "def get_admin(user: CurrentUser) -> User:\n",
            "def get_admin(\n    user: CurrentUser, settings: SettingsDep, token: Annotated[str | None, Depends(bearer_scheme)]\n) -> User:\n",
        ),
        replace(
            DEPS,
            '    if user.role != "admin":\n        raise HTTPException(status_code=403',
            '    role = decode_access_token(token, settings).get("role", user.role) if token else user.role\n'
            '    if role != "admin":\n        raise HTTPException(status_code=403',
        ),
        catches=["rbac::role_read_from_database"],
        rules=["R5.8", "R8.3"],
    ),
    mutant(
        "error-envelope",
        'a uniform error envelope {"error": ...} replaces FastAPI\'s {"detail": ...} for HTTP errors',
        replace(
            "app/main.py",
            '@app.get("/health")',
            "from fastapi import HTTPException as _HTTPException  # noqa: E402\n"
            "from fastapi.responses import JSONResponse as _JSONResponse  # noqa: E402\n\n\n"
            "@app.exception_handler(_HTTPException)\n"
            "def _envelope(request, exc):\n"
            '    return _JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)\n\n\n'
            '@app.get("/health")',
        ),
        catches=["rbac::errors_have_detail"],
        rules=["R2.1"],
    ),
    mutant(
        "short-refresh-token",
        "the refresh token is the first 16 hex digits of a uuid4: 64 bits",
        replace(AUTH, "    token = new_secret()\n", "    token = uuid.uuid4().hex[:16]\n"),
        catches=["refresh::refresh_rotates"],
        rules=["R6.1"],
    ),
    mutant(
        "session-bad-credentials-detail",
        'the cookie login turns the OAuth error into FastAPI\'s usual 400 {"detail": ...}',
        replace(
            AUTH,
            "    user = authenticate(db, throttle, username, password)\n    start_session(",
            "    try:\n        user = authenticate(db, throttle, username, password)\n"
            "    except OAuthError:\n"
            '        raise HTTPException(status_code=400, detail="Incorrect username or password") from None\n'
            "    start_session(",
        ),
        catches=["bruteforce::lockout_covers_sessions"],
        rules=["R7.5"],
    ),
]

# -- blind mutants: written from the README contract and the solution only, never the suite --------------
MUTANTS += [
    blind(
        "blind-blocklist-case-sensitive",
        "The learner compares the raw password with the (lowercased) blocklist, forgetting that 'QwertyUiop' is the same guess for an attacker.",
        replace(
            PWD,
            "    if password.lower() in common_passwords():\n",
            "    if password in common_passwords():\n",
        ),
        catches=["registration::common_password_422"],
        rules=["R3.7"],
    ),
    blind(
        "max-length-counted-in-bytes",
        "Worried about byte limits of hash functions, the learner measures the UTF-8 encoding, so a 60-character password of accented or CJK characters is refused as too long.",
        replace(PWD, "    if len(password) > MAX_LENGTH:\n", "    if len(password.encode()) > MAX_LENGTH:\n"),
        catches=["registration::password_length_limits"],
        rules=["R3.6"],
    ),
    blind(
        "password-truncated-to-72",
        "Having read about bcrypt's 72-byte limit, the learner truncates passwords 'to be safe' before hashing and verifying, so long passphrases sharing their first 72 characters collide.",
        replace(
            SEC, "    return pwd_context.hash(password)\n", "    return pwd_context.hash(password[:72])\n"
        ),
        replace(
            SEC,
            "    return pwd_context.verify_and_update(password, stored_hash)\n",
            "    return pwd_context.verify_and_update(password[:72], stored_hash)\n",
        ),
        catches=["passwords::long_password_compared_in_full"],
        rules=["R3.10"],
    ),
    blind(
        "argon2-single-pass",
        "The learner keeps OWASP's 19 MiB but uses time_cost=1 (the RFC 9106 'first choice' with 2 GiB), so m*t = 19456 falls below the required 35840.",
        replace(SEC, "    argon2__time_cost=2,\n", "    argon2__time_cost=1,\n"),
        catches=["passwords::hash_is_slow"],
        rules=["R3.12"],
    ),
    blind(
        "legacy-hash-never-upgraded",
        'The learner lists md5_crypt so old hashes verify but leaves out deprecated="auto", so verify_and_update never reports the MD5 hash as needing an upgrade.',
        replace(SEC, '    deprecated="auto",\n', ""),
        catches=["passwords::legacy_hash_upgraded"],
        rules=["R3.15"],
    ),
    blind(
        "unknown-user-skips-dummy-hash",
        "Skipping the expensive verify when there is no stored hash looks like a harmless optimisation, but it makes unknown usernames answer many times faster.",
        replace(
            SEC,
            "        pwd_context.verify(password, DUMMY_HASH)\n        return False, None\n",
            "        return False, None\n",
        ),
        catches=["registration::login_timing"],
        rules=["R4.5"],
    ),
    blind(
        "unknown-usernames-not-counted",
        "The learner only counts failures for accounts that exist (there is 'nothing to protect' otherwise), so a lockout now reveals which usernames exist.",
        replace(
            AUTH,
            "    retry_after = throttle.attempt(db, username)\n    if retry_after is not None:\n        raise LockedOut(retry_after)\n    user = db.scalar(select(User).where(User.username == username))\n",
            "    user = db.scalar(select(User).where(User.username == username))\n    retry_after = throttle.attempt(db, username) if user is not None else None\n    if retry_after is not None:\n        raise LockedOut(retry_after)\n",
        ),
        catches=["bruteforce::unknown_users_locked"],
        rules=["R10.2"],
    ),
    blind(
        "lockout-only-checked-on-failure",
        "The learner checks the lockout only after a wrong password ('the real user should still get in'), so the right password succeeds during a lockout and resets the counter.",
        replace(
            AUTH,
            "    retry_after = throttle.attempt(db, username)\n    if retry_after is not None:\n        raise LockedOut(retry_after)\n    user = db.scalar(select(User).where(User.username == username))\n    ok, new_hash = verify_password(password, user.password_hash if user else None)  # None: a dummy check\n    if not ok or user is None:\n",
            "    user = db.scalar(select(User).where(User.username == username))\n    ok, new_hash = verify_password(password, user.password_hash if user else None)  # None: a dummy check\n    if not ok or user is None:\n        retry_after = throttle.attempt(db, username)\n        if retry_after is not None:\n            raise LockedOut(retry_after)\n",
        ),
        catches=["bruteforce::lockout_after_max_failures"],
        rules=["R10.3"],
    ),
    blind(
        "session-login-bypasses-throttle",
        "The cookie login is written as its own small credential check instead of reusing authenticate(), so it neither counts failures nor honours a lockout.",
        replace(
            AUTH,
            "    user = authenticate(db, throttle, username, password)\n    start_session(",
            "    user = db.scalar(select(User).where(User.username == username))\n    ok, _ = verify_password(password, user.password_hash if user else None)\n    if not ok or user is None:\n        raise invalid_grant()\n    start_session(",
        ),
        catches=["bruteforce::lockout_covers_sessions"],
        rules=["R10.1", "R7.5"],
    ),
    blind(
        "jwt-iat-not-required",
        "The learner requires only exp and sub, believing issuer= and audience= already cover the rest, so a token without iat is accepted.",
        replace(
            SEC,
            '        options={"require": ["exp", "iat", "sub", "iss", "aud"]},\n',
            '        options={"require": ["exp", "sub"]},\n',
        ),
        catches=["tokens::missing_claims_rejected"],
        rules=["R5.3"],
    ),
    blind(
        "jwt-leeway-two-minutes",
        "To be tolerant of clock skew the learner adds a generous leeway of 120 seconds, so tokens expired a minute ago still work.",
        replace(
            SEC,
            "        issuer=settings.jwt_issuer,\n",
            "        issuer=settings.jwt_issuer,\n        leeway=120,\n",
        ),
        catches=["tokens::expiry_leeway_at_most_30s"],
        rules=["R5.4"],
    ),
    blind(
        "jwt-accepts-hmac-family",
        "The learner pins 'the HMAC algorithms' rather than exactly HS256, thinking any HMAC with the secret is equally safe, so an HS512 token signed with the secret is accepted.",
        replace(
            SEC, "        algorithms=[ALGORITHM],\n", '        algorithms=[ALGORITHM, "HS384", "HS512"],\n'
        ),
        catches=["tokens::other_algorithm_rejected"],
        rules=["R5.2"],
    ),
    blind(
        "access-ttl-read-as-minutes",
        "Copying FastAPI's tutorial (ACCESS_TOKEN_EXPIRE_MINUTES), the learner treats ACCESS_TOKEN_TTL as minutes when computing exp, while expires_in still reports the raw value.",
        replace(
            SEC,
            '        "exp": now + settings.access_token_ttl,\n',
            '        "exp": now + settings.access_token_ttl * 60,\n',
        ),
        catches=["tokens::issued_token_claims"],
        rules=["R5.1", "R1.1"],
    ),
    blind(
        "refresh-expiry-ignored",
        "The learner stores expires_at but only checks revocation when a refresh token is used, assuming a cleanup job would delete expired rows.",
        replace(
            AUTH,
            "    if row is None or row.revoked_at is not None or row.expires_at <= now:\n",
            "    if row is None or row.revoked_at is not None:\n",
        ),
        catches=["lifetimes::refresh_expires"],
        rules=["R6.2"],
    ),
    blind(
        "reuse-revokes-only-used-tokens",
        "On reuse the learner revokes the already-used (leaked) tokens of the family, thinking the newest one belongs to the legitimate user, so the thief's fresh token survives.",
        replace(
            AUTH,
            "            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))\n            .values(revoked_at=now)\n",
            "            .where(RefreshToken.family_id == row.family_id, RefreshToken.used_at.is_not(None))\n            .values(revoked_at=now)\n",
        ),
        catches=["refresh::reuse_revokes_family"],
        rules=["R6.5"],
    ),
    blind(
        "refresh-rotation-race",
        "The learner reads the refresh token row with a plain SELECT; two concurrent requests both see it unused and both rotate it.",
        replace(AUTH, "    row = db.scalar(query.with_for_update())\n", "    row = db.scalar(query)\n"),
        catches=["refresh::refresh_race"],
        rules=["R6.6"],
    ),
    blind(
        "rotate-response-cacheable",
        "The refresh branch builds its JSON answer inline instead of through the shared helper and forgets the no-store header the password grant sends.",
        replace(
            AUTH,
            "    db.commit()\n    return _token_response(row.user_id, token, settings)\n",
            "    db.commit()\n    body = TokenOut(\n        access_token=create_access_token(str(row.user_id), settings),\n        expires_in=settings.access_token_ttl,\n        refresh_token=token,\n    )\n    return JSONResponse(body.model_dump())\n",
        ),
        catches=["refresh::refresh_rotates"],
        rules=["R4.2"],
    ),
    blind(
        "session-id-kept-at-login",
        "To avoid 'creating a pile of sessions', the learner reuses the id the browser already carries, which is exactly session fixation with a planted id.",
        replace(AUTH, "    session_id = new_secret()\n", "    session_id = old_id or new_secret()\n"),
        catches=["sessions::planted_id_not_adopted"],
        rules=["R7.9"],
    ),
    blind(
        "session-logout-client-only",
        "The learner thinks clearing the cookie is logging out and never deletes the server-side row, so a copied id keeps working.",
        replace(
            AUTH,
            "    if session:\n        db.execute(delete(WebSession).where(WebSession.id_hash == digest(session)))\n        db.commit()\n",
            "",
        ),
        catches=["sessions::logout_invalidates"],
        rules=["R7.11"],
    ),
    blind(
        "session-cookie-not-secure",
        "Developing on plain http, the learner turns Secure off so the browser sends the cookie back, and never turns it on again.",
        replace(
            AUTH,
            "        secure=True,  # never sent over plain http\n",
            "        secure=False,  # the dev server speaks plain http\n",
        ),
        catches=["sessions::cookie_secure"],
        rules=["R7.3"],
    ),
    blind(
        "session-expiry-not-checked",
        "The session lookup matches the hash only; expires_at is written but never compared, trusting the cookie's Max-Age to make the browser forget it.",
        replace(
            DEPS,
            "        .where(WebSession.id_hash == digest(session_id), WebSession.expires_at > datetime.now(UTC))\n",
            "        .where(WebSession.id_hash == digest(session_id))\n",
        ),
        catches=["lifetimes::session_expires"],
        rules=["R7.7"],
    ),
    blind(
        "api-key-revoke-any-owner",
        "The DELETE filters on the key id alone (classic BOLA), so any user can revoke another user's key by guessing its id.",
        replace(
            KEYS,
            "    result = db.execute(delete(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user.id))\n",
            "    result = db.execute(delete(ApiKey).where(ApiKey.id == key_id))\n",
        ),
        catches=["api_keys::other_user_cannot_revoke"],
        rules=["R9.4"],
    ),
    blind(
        "blind-api-key-401-without-challenge",
        "For a bad API key the learner raises a plain HTTPException(401), since WWW-Authenticate seems to be a bearer-token thing only.",
        replace(
            DEPS,
            "    user = db.scalar(query)\n    if user is None:\n        raise unauthorized(invalid_token=True)\n",
            '    user = db.scalar(query)\n    if user is None:\n        raise HTTPException(status_code=401, detail="Invalid API key")\n',
        ),
        catches=["api_keys::unknown_key_401"],
        rules=["R2.3"],
    ),
    blind(
        "admin-note-list-shows-all",
        "Since admins may read any note, the learner makes the list endpoint return every note for admins too.",
        replace(
            NOTES,
            "    notes = db.scalars(select(Note).where(Note.owner_id == user.id).order_by(Note.id)).all()\n",
            '    query = select(Note).order_by(Note.id)\n    if user.role != "admin":\n        query = query.where(Note.owner_id == user.id)\n    notes = db.scalars(query).all()\n',
        ),
        catches=["rbac::notes_list_own_only"],
        rules=["R8.5"],
    ),
    blind(
        "delete-foreign-note-403",
        "The delete handler does its own lookup and answers 403 for someone else's note ('you may not'), which confirms the id exists.",
        replace(
            NOTES,
            "    note, _ = _get_visible(db, user, note_id)\n    db.delete(note)\n",
            '    note = db.get(Note, note_id)\n    if note is None:\n        raise HTTPException(status_code=404, detail="Note not found")\n    if note.owner_id != user.id and user.role != "admin":\n        raise HTTPException(status_code=403, detail="Not your note")\n    db.delete(note)\n',
        ),
        catches=["rbac::others_note_404"],
        rules=["R8.7"],
    ),
    blind(
        "register-check-then-insert",
        "The learner checks for an existing username with a SELECT before inserting and does not catch the IntegrityError, so of two simultaneous registrations the loser gets a 500 instead of 409.",
        replace(
            AUTH,
            '    user = User(username=body.username, password_hash=hash_password(body.password), role="user")\n    db.add(user)\n    try:\n        db.commit()  # the unique constraint decides between concurrent registrations\n    except IntegrityError:\n        db.rollback()\n        raise HTTPException(status_code=409, detail="This username is taken") from None\n',
            '    if db.scalar(select(User).where(User.username == body.username)) is not None:\n        raise HTTPException(status_code=409, detail="This username is taken")\n    user = User(username=body.username, password_hash=hash_password(body.password), role="user")\n    db.add(user)\n    db.commit()\n',
        ),
        catches=["registration::duplicate_race"],
        rules=["R3.5"],
    ),
    blind(
        "username-pattern-unanchored",
        "The learner writes the username pattern without the trailing `$`; pydantic's pattern search then accepts any name that merely starts with 3 valid characters.",
        replace(
            SCHEMAS,
            '    username: str = Field(pattern=r"^[a-z0-9_]{3,32}$")\n',
            '    username: str = Field(pattern=r"^[a-z0-9_]{3,32}")\n',
        ),
        catches=["registration::username_rules_422"],
        rules=["R3.3"],
    ),
]
