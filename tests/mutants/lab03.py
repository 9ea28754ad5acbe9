"""Known-bad variants of solutions/lab03-auth: the auth mistakes the suite must catch from outside."""
# ruff: noqa: E501 - the edits quote lines of the solution verbatim, some longer than the limit

from tests.mutants import mutant, replace

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
    ),
    mutant(
        "username-unchecked",
        "any string is accepted as a username",
        replace(SCHEMAS, 'username: str = Field(pattern=r"^[a-z0-9_]{3,32}$")', "username: str"),
        catches=["registration::username_rules_422"],
    ),
    mutant(
        "min-length-8",
        "the old habit of 8 characters instead of the contract's 10",
        replace(PWD, "MIN_LENGTH = 10", "MIN_LENGTH = 8"),
        catches=["registration::password_length_limits"],
    ),
    mutant(
        "blocklist-case-sensitive",
        "the blocklist is compared as typed: QwertyUiop slips through",
        replace(
            PWD, "    if password.lower() in common_passwords():", "    if password in common_passwords():"
        ),
        catches=["registration::common_password_422"],
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
    ),
    mutant(
        "token-cacheable",
        "the token response has no Cache-Control: no-store",
        replace(AUTH, 'headers={"Cache-Control": "no-store", "Pragma": "no-cache"}', "headers={}"),
        catches=["registration::token_password_grant", "refresh::refresh_rotates"],
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
    ),
    mutant(
        "user-enumeration-message",
        "an unknown username gets its own message",
        replace(
            AUTH,
            "    if not ok or user is None:\n",
            "    if user is None:\n        throttle.failed(username)\n"
            '        raise OAuthError("invalid_grant", "No such user")\n    if not ok:\n',
        ),
        catches=["registration::no_user_enumeration"],
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
    ),
    # -- password storage ------------------------------------------------------------------------------
    mutant(
        "plaintext-passwords",
        "passwords stored as they are (passlib's plaintext scheme)",
        replace(SEC, 'schemes=["argon2", "md5_crypt"],', 'schemes=["plaintext"],'),
        catches=["passwords::hash_is_slow", "passwords::hash_is_salted", "passwords::no_plaintext_anywhere"],
    ),
    mutant(
        "fast-unsalted-hash",
        "SHA-256 hex digests: fast and unsalted",
        replace(SEC, 'schemes=["argon2", "md5_crypt"],', 'schemes=["hex_sha256", "md5_crypt"],'),
        replace(
            SEC, "    argon2__memory_cost=19456,\n    argon2__time_cost=2,\n    argon2__parallelism=1,\n", ""
        ),
        catches=["passwords::hash_is_slow", "passwords::hash_is_salted"],
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
    ),
    mutant(
        "no-rehash",
        "the new hash from verify_and_update is thrown away",
        replace(AUTH, "    if new_hash:\n        user.password_hash = new_hash\n        db.commit()\n", ""),
        catches=["passwords::legacy_hash_upgraded"],
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
    ),
    # -- JWT -----------------------------------------------------------------------------------------
    mutant(
        "ttl-hard-coded",
        "the access token lifetime is written in the code",
        replace(SEC, '        "exp": now + settings.access_token_ttl,', '        "exp": now + 3600,'),
        catches=["tokens::issued_token_claims", "lifetimes::access_ttl_from_env"],
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
    ),
    mutant(
        "all-hmac-algorithms",
        "every HMAC algorithm is allowed",
        replace(SEC, "        algorithms=[ALGORITHM],", '        algorithms=["HS256", "HS384", "HS512"],'),
        catches=["tokens::other_algorithm_rejected"],
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
    ),
    mutant(
        "exp-not-required",
        "PyJWT only checks exp when it is there, and exp is not required",
        replace(SEC, DECODE_OPTIONS, 'options={"require": ["iat", "sub", "iss", "aud"]},\n    )'),
        catches=["tokens::missing_exp_rejected"],
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
    ),
    mutant(
        "issuer-not-checked",
        "issuer= is not passed to jwt.decode",
        replace(SEC, "        issuer=settings.jwt_issuer,\n        options", "        options"),
        catches=["tokens::wrong_issuer_rejected"],
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
    ),
    mutant(
        "used-token-still-valid",
        "a new refresh token is issued but the old one is not marked used",
        replace(
            AUTH, "    row.used_at = now\n    token = _new_refresh_token(", "    token = _new_refresh_token("
        ),
        catches=["refresh::used_refresh_rejected"],
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
    ),
    mutant(
        "refresh-race",
        "no row lock: concurrent refreshes with one token all succeed",
        replace(AUTH, "    row = db.scalar(query.with_for_update())", "    row = db.scalar(query)"),
        catches=["refresh::refresh_race"],
    ),
    mutant(
        "logout-does-nothing",
        "logout answers 204 and forgets to revoke anything",
        replace(
            AUTH, "    if row is not None:\n        db.execute(", "    if row is None:\n        db.execute("
        ),
        catches=["refresh::logout_revokes"],
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
    ),
    mutant(
        "cookie-not-httponly",
        "JavaScript can read the session cookie",
        replace(AUTH, "        httponly=True,  # out of reach", "        httponly=False,  # out of reach"),
        catches=["sessions::cookie_httponly"],
    ),
    mutant(
        "cookie-not-secure",
        "the session cookie travels over plain http too",
        replace(AUTH, "        secure=True,  # never sent", "        secure=False,  # never sent"),
        catches=["sessions::cookie_secure"],
    ),
    mutant(
        "cookie-without-samesite",
        "no SameSite attribute",
        replace(AUTH, '        samesite="lax",  # not sent', "        samesite=None,  # not sent"),
        catches=["sessions::cookie_samesite"],
    ),
    mutant(
        "short-session-id",
        "64-bit session ids",
        replace(AUTH, "    session_id = new_secret()\n", "    session_id = secrets.token_hex(8)\n"),
        replace(AUTH, "import uuid\n", "import secrets\nimport uuid\n"),
        catches=["sessions::session_id_random"],
    ),
    mutant(
        "session-fixation",
        "the id the browser brought is kept for the new session",
        replace(AUTH, "    session_id = new_secret()\n", "    session_id = old_id or new_secret()\n"),
        catches=["sessions::planted_id_not_adopted", "sessions::relogin_rotates"],
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
    ),
    # -- brute force -----------------------------------------------------------------------------------
    mutant(
        "no-lockout",
        "failures are counted but never enforced",
        replace(AUTH, "    if retry_after is not None:\n        raise LockedOut(retry_after)\n", ""),
        catches=["bruteforce::lockout_after_max_failures"],
    ),
    mutant(
        "lockout-off-by-one",
        "the lock starts one failure early",
        replace(
            THROTTLE,
            "            if entry.failures >= self.max_failures:",
            "            if entry.failures >= self.max_failures - 1:",
        ),
        catches=["bruteforce::threshold_exact"],
    ),
    mutant(
        "success-keeps-count",
        "a successful login does not reset the count",
        replace(
            THROTTLE,
            "        with self._lock:\n            self._entries.pop(username, None)",
            "        return",
        ),
        catches=["bruteforce::success_resets_count"],
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
    ),
    mutant(
        "only-real-users-locked",
        "failures of unknown usernames are not counted",
        replace(
            AUTH,
            "    if not ok or user is None:\n        throttle.failed(username)\n",
            "    if not ok or user is None:\n        if user is not None:\n            throttle.failed(username)\n",
        ),
        catches=["bruteforce::unknown_users_locked"],
    ),
    mutant(
        "global-lockout",
        "one counter for everybody",
        replace(
            AUTH,
            "    retry_after = throttle.retry_after(username)",
            '    retry_after = throttle.retry_after("*")',
        ),
        replace(AUTH, "        throttle.failed(username)\n", '        throttle.failed("*")\n'),
        catches=["bruteforce::other_users_unaffected"],
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
    ),
    mutant(
        "lockout-extended-by-attempts",
        "every attempt during the lockout starts it again",
        replace(
            THROTTLE,
            "            left = entry.locked_until - time.monotonic()\n",
            "            left = entry.locked_until - time.monotonic()\n"
            "            if left > 0:\n                entry.locked_until = time.monotonic() + self.lockout_seconds\n",
        ),
        catches=["lifetimes::lockout_lifts"],
    ),
    # -- OpenID Connect (extra credit) -----------------------------------------------------------------
    mutant(
        "oidc-no-pkce",
        "the authorization request has no PKCE, the token request no code_verifier",
        replace(OIDC, '        "code_challenge": challenge,\n        "code_challenge_method": "S256",\n', ""),
        replace(OIDC, '                "code_verifier": login.code_verifier,\n', ""),
        catches=["oidc::login_redirect", "oidc::login_works"],
    ),
    mutant(
        "oidc-no-client-secret",
        "the code is exchanged without client authentication",
        replace(OIDC, '                "client_secret": settings.oidc_client_secret,\n', ""),
        catches=["oidc::login_works"],
    ),
    mutant(
        "oidc-new-account-each-login",
        "every login creates a new local account",
        replace(MODELS, '    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)\n', ""),
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
    ),
]
