"""lab09 (security): partial and naive fixes of the vulnerable Notebook app, each caught by a named check.

The blind ones (BLIND, at the end) were written from the README contract and the solution only.
"""

# The snippets reproduce lines of the solution exactly, long ones included.
# ruff: noqa: E501

from tests.mutants import blind, mutant, replace

CRUD = "app/crud.py"
PAGES = "app/web/pages.py"
FORMS = "app/web/forms.py"
FILES = "app/web/files.py"
FETCH = "app/core/fetch.py"
SECURITY = "app/core/security.py"
SESSIONS = "app/core/sessions.py"
HEADERS = "app/core/headers.py"
MAIN = "app/main.py"
CONFIG = "app/core/config.py"
DEPS = "app/api/deps.py"
USERS = "app/api/routes/users.py"
AUTH = "app/api/routes/auth.py"
NOTES = "app/api/routes/notes.py"
TEMPLATES = "app/web/templates.py"

_SEARCH_PARAMS = """        "WHERE (private = FALSE OR owner_id = %s) AND (title ILIKE %s OR body ILIKE %s) "
        "ORDER BY id DESC LIMIT 100",
        (viewer_id, pattern, pattern),"""

_LOGIN_LOOKUP = """    user = get_user_by_username(conn, username)
    if user is None:
        burn_time(password)
        return None"""

_FETCH_HOPS = """            scheme, host, port = _check(url)"""

_FETCH_TEXT = '''def fetch_text(url: str) -> str:
    """The text at url (at most MAX_BYTES), following at most MAX_REDIRECTS redirects, each checked."""'''

_SAFE_NEXT = """    if not target or not target.startswith("/") or target.startswith(("//", "/\\\\")):
        return "/"
    if any(ord(char) < 0x20 or char == "\\\\" for char in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target"""

_PUBLIC_FILE_CHECK = """    if not path.is_relative_to(root) or not path.is_file():"""

MUTANTS = [
    # --- SQL injection -------------------------------------------------------------------------
    mutant(
        "search-string-built",
        "the search still pastes q into the SQL text",
        replace(
            CRUD,
            _SEARCH_PARAMS,
            """        f"WHERE (private = FALSE OR owner_id = {viewer_id or 0}) "
        f"AND (title ILIKE '%{q}%' OR body ILIKE '%{q}%') ORDER BY id DESC LIMIT 100",""",
        ),
        catches=[
            "injection::quote_is_data",
            "injection::search_boolean_injection_refused",
            "injection::search_union_injection_refused",
        ],
        rules=["R4.2", "R4.4"],
    ),
    mutant(
        "search-quotes-stripped",
        "a blacklist fix: quotes removed from q, which breaks searching for O'Brien",
        replace(
            CRUD,
            """    pattern = "%" + q.replace""",
            """    q = q.replace("'", "")
    pattern = "%" + q.replace""",
        ),
        catches=["injection::quote_is_data"],
        rules=["R4.4"],
    ),
    mutant(
        "login-string-built",
        "the login still builds its query with an f-string",
        replace(
            CRUD,
            _LOGIN_LOOKUP,
            """    user = conn.execute(f"SELECT * FROM users WHERE username = '{username}'").fetchone()
    if user is None:
        burn_time(password)
        return None""",
        ),
        catches=["injection::form_login_injection_refused", "injection::api_login_injection_refused"],
        rules=["R3.5", "R5.3"],
    ),
    mutant(
        "login-backslash-escape",
        "quotes escaped by hand with a backslash, which PostgreSQL's standard strings do not honour",
        replace(
            CRUD,
            _LOGIN_LOOKUP,
            """    escaped = username.replace("'", "\\\\'")
    user = conn.execute(
        f"SELECT * FROM users WHERE username = '{escaped}' AND password_hash = '{password}'"
    ).fetchone()
    if user is not None:
        return user
    user = get_user_by_username(conn, username)
    if user is None:
        burn_time(password)
        return None""",
        ),
        catches=["injection::form_login_injection_refused", "injection::api_login_injection_refused"],
        rules=["R3.5", "R5.3"],
    ),
    mutant(
        "login-comment-blacklist",
        "refusing usernames with -- or /* and still pasting the rest: ' OR 'a'='a needs no comment",
        replace(
            CRUD,
            _LOGIN_LOOKUP,
            """    if "--" in username or "/*" in username:
        return None
    user = conn.execute(f"SELECT * FROM users WHERE username = '{username}' AND TRUE").fetchone()
    if user is None:
        burn_time(password)
        return None
    if user["username"] != username:
        return user""",
        ),
        catches=["injection::form_login_injection_refused", "injection::api_login_injection_refused"],
        rules=["R3.5", "R5.3"],
    ),
    mutant(
        "login-always-fails",
        "an over-fix: the login compares the hash as text and never matches",
        replace(
            CRUD,
            """    if not matches:
        return None""",
            """    if not matches or user["password_hash"] != password:
        return None""",
        ),
        catches=["injection::login_form_works", "injection::api_login_works"],
        rules=["R3.5", "R5.3"],
    ),
    mutant(
        "search-ignores-own-private",
        "the search forgets the user's own private notes",
        replace(
            CRUD,
            """(private = FALSE OR owner_id = %s) AND (title""",
            """(private = FALSE AND owner_id <> %s) AND (title""",
        ),
        catches=["injection::search_works"],
        rules=["R4.2", "R4.3", "R5.2"],
    ),
    # --- XSS -------------------------------------------------------------------------------------
    mutant(
        "autoescape-off",
        "the templates' autoescape left off",
        replace(TEMPLATES, "    autoescape=True,", "    autoescape=False,"),
        catches=[
            "xss::stored_note_title",
            "xss::stored_note_body",
            "xss::stored_profile_fields",
            "xss::reflected_search",
            "xss::reflected_login",
        ],
        rules=["R5.1", "R5.2"],
    ),
    mutant(
        "home-title-safe",
        "escaping everywhere but one template: the home page prints titles with |safe",
        replace("app/templates/home.html", """{{ note.title }}</a>""", """{{ note.title|safe }}</a>"""),
        catches=["xss::stored_note_title"],
        rules=["R5.1", "R5.2"],
    ),
    mutant(
        "body-br-safe",
        "line breaks turned into <br> on the raw body, then marked safe",
        replace(
            "app/templates/note.html",
            """{% for line in note.body.splitlines() %}{{ line }}<br>\n{% endfor %}""",
            """{{ note.body.replace("\\n", "<br>\\n")|safe }}""",
        ),
        catches=["xss::stored_note_body"],
        rules=["R5.1", "R5.2"],
    ),
    mutant(
        "profile-name-safe",
        "the user page trusts the display name",
        replace(
            "app/templates/user.html",
            """<h1>{{ profile.display_name or profile.username }}</h1>""",
            """<h1>{{ (profile.display_name or profile.username)|safe }}</h1>""",
        ),
        catches=["xss::stored_profile_fields"],
        rules=["R5.1"],
    ),
    mutant(
        "search-term-safe",
        "the search heading prints the query string unescaped",
        replace("app/templates/search.html", "<em>{{ q }}</em>", "<em>{{ q|safe }}</em>"),
        catches=["xss::reflected_search"],
        rules=["R5.1"],
    ),
    mutant(
        "login-next-safe",
        "the hidden next field is marked safe",
        replace("app/templates/login.html", '''value="{{ next }}"''', '''value="{{ next|safe }}"'''),
        catches=["xss::reflected_login"],
        rules=["R5.1"],
    ),
    mutant(
        "script-tag-filter",
        "a blacklist instead of escaping: <script> tags removed, everything else printed raw",
        replace(
            TEMPLATES,
            "    autoescape=True,\n)",
            """    autoescape=False,
)
_env.finalize = lambda value: re.sub(r"(?is)<script.*?</script>", "", value) if isinstance(value, str) else value""",
        ),
        replace(TEMPLATES, "from pathlib import Path\n", "import re\nfrom pathlib import Path\n"),
        catches=["xss::stored_note_title", "xss::reflected_search"],
        rules=["R5.1", "R5.2"],
    ),
    mutant(
        "escaped-before-storing",
        "HTML-escaping on the way in: stored text is garbled, and escaped twice on the page",
        replace(
            NOTES,
            """    return crud.create_note(conn, user["id"], body.title, body.body, body.private)""",
            """    title, text = html.escape(body.title), html.escape(body.body)
    return crud.create_note(conn, user["id"], title, text, body.private)""",
        ),
        replace(
            NOTES,
            '''"""Notes as JSON, and importing a note from a URL."""\n''',
            '''"""Notes as JSON, and importing a note from a URL."""\n\nimport html\n''',
        ),
        catches=["xss::text_shown_as_written"],
        rules=["R4.1", "R5.1"],
    ),
    mutant(
        "website-not-validated",
        "the website is stored whatever its scheme",
        replace(
            USERS,
            """    if value and not value.lower().startswith(("http://", "https://")):""",
            """    if False:""",
        ),
        replace(
            "app/templates/user.html",
            "{% if profile.website.lower().startswith(('http://', 'https://')) %}",
            "{% if profile.website %}",
        ),
        catches=["xss::website_javascript_url_refused"],
        rules=["R3.9", "R5.1"],
    ),
    mutant(
        "website-link-dropped",
        "an over-fix: the website is never linked",
        replace(
            "app/templates/user.html",
            """<a href="{{ profile.website }}" rel="nofollow">Website</a>""",
            """Website: {{ profile.website }}""",
        ),
        catches=["xss::website_link_shown"],
        rules=["R5.2"],
    ),
    mutant(
        "csp-unsafe-inline",
        "a CSP that allows inline scripts (to keep an onclick working)",
        replace(HEADERS, """script-src 'self';""", """script-src 'self' 'unsafe-inline';"""),
        catches=["xss::csp_blocks_inline_scripts"],
        rules=["R7.1"],
    ),
    # --- CSRF ------------------------------------------------------------------------------------
    mutant(
        "csrf-create-unprotected",
        "the new-note form handler forgot the token check",
        replace(
            PAGES,
            """    user: OptionalUser,
    _: CsrfChecked,
    title: str""",
            """    user: OptionalUser,
    title: str""",
        ),
        catches=["csrf::cross_site_create_refused", "csrf::token_of_another_session_refused"],
        rules=["R5.4"],
    ),
    mutant(
        "csrf-only-if-present",
        "the token is checked only when the form sends one",
        replace(
            FORMS,
            """    if not csrf_valid(session, csrf_token):""",
            """    if csrf_token and not csrf_valid(session, csrf_token):""",
        ),
        catches=[
            "csrf::cross_site_create_refused",
            "csrf::cross_site_delete_refused",
            "csrf::cross_site_profile_refused",
        ],
        rules=["R5.4"],
    ),
    mutant(
        "csrf-delete-unprotected",
        "the delete form handler forgot the token check",
        replace(
            PAGES,
            """user: OptionalUser, _: CsrfChecked) -> Response:
    if user is None:
        return login_redirect(request)
    owned_note""",
            """user: OptionalUser) -> Response:
    if user is None:
        return login_redirect(request)
    owned_note""",
        ),
        catches=["csrf::cross_site_delete_refused"],
        rules=["R5.4"],
    ),
    mutant(
        "csrf-profile-unprotected",
        "the profile form handler forgot the token check",
        replace(
            PAGES,
            """    user: OptionalUser,
    _: CsrfChecked,
    display_name: str""",
            """    user: OptionalUser,
    display_name: str""",
        ),
        catches=["csrf::cross_site_profile_refused"],
        rules=["R5.4"],
    ),
    mutant(
        "csrf-global-token",
        "one token for everybody (derived from nothing per session)",
        replace(
            SESSIONS,
            """        (_row_id(cookie), user_id, secrets.token_urlsafe(32), LIFETIME),""",
            """        (_row_id(cookie), user_id, "same-token-for-everyone", LIFETIME),""",
        ),
        catches=["csrf::token_of_another_session_refused"],
        rules=["R5.4"],
    ),
    mutant(
        "csrf-token-missing-in-form",
        "the token is checked but the new-note form does not carry it",
        replace(
            "app/templates/new_note.html",
            """  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">\n""",
            "",
        ),
        catches=["csrf::forms_work_with_their_token"],
        rules=["R5.2", "R5.4"],
    ),
    mutant(
        "samesite-none",
        "SameSite=None on the session cookie",
        replace(SESSIONS, """        samesite="lax",\n    )""", """        samesite="none",\n    )"""),
        catches=["csrf::session_cookie_samesite"],
        rules=["R3.18"],
    ),
    # --- BOLA ------------------------------------------------------------------------------------
    mutant(
        "get-any-note",
        "GET /api/notes/{id} finds the row and returns it, whoever owns it",
        replace(
            NOTES,
            """    return visible_note(conn, note_id, user)""",
            """    note = crud.get_note(conn, note_id)
    if note is None:
        raise HTTPException(status_code=404, detail="no such note")
    return note""",
        ),
        catches=["bola::private_note_read_refused"],
        rules=["R4.2", "R4.6", "R5.2"],
    ),
    mutant(
        "write-checks-only-private",
        "ownership checked only for private notes",
        replace(
            DEPS,
            """    if note["owner_id"] != user["id"]:
        raise HTTPException(status_code=403""",
            """    if note["private"] and note["owner_id"] != user["id"]:
        raise HTTPException(status_code=403""",
        ),
        catches=["bola::public_note_write_refused"],
        rules=["R4.10"],
    ),
    mutant(
        "write-without-ownership",
        "PATCH and DELETE check that the note exists, not who owns it",
        replace(
            DEPS,
            """    note = visible_note(conn, note_id, user)
    if note["owner_id"] != user["id"]:""",
            """    note = crud.get_note(conn, note_id)
    if note is None:
        raise HTTPException(status_code=404, detail="no such note")
    if False:""",
        ),
        catches=["bola::private_note_write_refused", "bola::public_note_write_refused"],
        rules=["R4.9", "R4.10"],
    ),
    mutant(
        "anonymous-delete",
        "DELETE takes the user as optional and checks ownership only when there is one",
        replace(
            NOTES,
            """def delete_note(note_id: int, user: CurrentUser, conn: DbConn) -> Response:
    owned_note(conn, note_id, user)""",
            """def delete_note(note_id: int, user: OptionalUser, conn: DbConn) -> Response:
    if user is not None:
        owned_note(conn, note_id, user)""",
        ),
        catches=["bola::anonymous_write_refused"],
        rules=["R4.5", "R4.8"],
    ),
    mutant(
        "public-notes-owner-only",
        "an over-fix: every note answers 404 to everyone but its owner",
        replace(
            DEPS,
            """    if note is None or (note["private"] and (user is None or note["owner_id"] != user["id"])):""",
            """    if note is None or user is None or note["owner_id"] != user["id"]:""",
        ),
        catches=["bola::public_notes_readable"],
        rules=["R4.2", "R4.6"],
    ),
    mutant(
        "owner-check-wrong-key",
        "ownership compared with the wrong key: owners are refused their own notes",
        replace(
            DEPS,
            """    if note["owner_id"] != user["id"]:
        raise HTTPException(status_code=403""",
            """    if note["id"] != user["id"]:
        raise HTTPException(status_code=403""",
        ),
        catches=["bola::owner_can_manage_notes"],
        rules=["R4.5", "R4.6", "R4.7"],
    ),
    # --- mass assignment, exposed properties ---------------------------------------------------------
    mutant(
        "patch-me-binds-everything",
        "PATCH /api/me copies every key of the body into the row",
        replace(
            CRUD,
            """    changes = {key: fields[key] for key in PROFILE_FIELDS if fields.get(key) is not None}""",
            """    changes = {key: value for key, value in fields.items() if value is not None}""",
        ),
        replace(
            USERS,
            """    model_config = ConfigDict(extra="forbid")""",
            """    model_config = ConfigDict(extra="allow")""",
        ),
        catches=["mass_assignment::admin_flag_via_api_refused", "mass_assignment::read_only_fields_refused"],
        rules=["R3.10"],
    ),
    mutant(
        "blacklist-is-admin",
        "a blacklist: is_admin is dropped, every other column still bindable",
        replace(
            CRUD,
            """    changes = {key: fields[key] for key in PROFILE_FIELDS if fields.get(key) is not None}""",
            """    changes = {key: value for key, value in fields.items() if value is not None and key != "is_admin"}""",
        ),
        replace(
            USERS,
            """    model_config = ConfigDict(extra="forbid")""",
            """    model_config = ConfigDict(extra="allow")""",
        ),
        catches=["mass_assignment::read_only_fields_refused"],
        rules=["R3.10"],
    ),
    mutant(
        "form-binds-everything",
        "the profile form handler saves every posted field",
        replace(
            PAGES,
            """    crud.update_profile(conn, user["id"], update.model_dump())""",
            """    form = {key: value for key, value in request._form.items() if key != "csrf_token"}
    crud.update_profile(conn, user["id"], {**update.model_dump(), **form})""",
        ),
        replace(
            CRUD,
            """    changes = {key: fields[key] for key in PROFILE_FIELDS if fields.get(key) is not None}""",
            """    changes = {key: value for key, value in fields.items() if value is not None}""",
        ),
        catches=["mass_assignment::admin_flag_via_form_refused"],
        rules=["R3.10"],
    ),
    mutant(
        "user-row-exposed",
        "GET /api/users/{id} returns the whole row",
        replace(USERS, """    return crud.public_user(user)""", """    return user"""),
        catches=["mass_assignment::public_profile_hides_secrets"],
        rules=["R3.11"],
    ),
    mutant(
        "admin-list-open",
        "the admin route checks the login but not the role",
        replace(
            USERS,
            """    if not user["is_admin"]:
        raise HTTPException(status_code=403, detail="admins only")""",
            "",
        ),
        catches=["mass_assignment::admin_list_for_admins_only"],
        rules=["R1.4", "R3.12"],
    ),
    mutant(
        "website-not-saved",
        "an over-fix: the website is dropped from the editable fields",
        replace(
            CRUD,
            """PROFILE_FIELDS = ("display_name", "bio", "website")""",
            """PROFILE_FIELDS = ("display_name", "bio")""",
        ),
        catches=["mass_assignment::profile_update_works", "xss::website_link_shown"],
        rules=["R3.8", "R5.2", "R5.4"],
    ),
    # --- passwords -------------------------------------------------------------------------------------
    mutant(
        "salted-sha256",
        "a salted SHA-256: salted, but fast",
        replace(
            SECURITY,
            """def hash_password(password: str) -> str:
    return _hasher.hash(password)""",
            """def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    return salt + "$" + hashlib.sha256((salt + password).encode()).hexdigest()""",
        ),
        replace(
            SECURITY,
            """    try:
        _hasher.verify(stored, password)""",
            """    if "$" in stored and not stored.startswith("$"):
        salt, digest = stored.split("$", 1)
        ok = hmac.compare_digest(hashlib.sha256((salt + password).encode()).hexdigest(), digest)
        return ok, None
    try:
        _hasher.verify(stored, password)""",
        ),
        catches=["passwords::new_hash_is_slow"],
        rules=["R3.13"],
    ),
    mutant(
        "argon2-too-cheap",
        "argon2id tuned down until it is fast again",
        replace(
            SECURITY,
            "PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)",
            "PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)",
        ),
        catches=["passwords::new_hash_is_slow"],
        rules=["R3.13"],
    ),
    mutant(
        "argon2-fixed-salt",
        "a slow hash with one salt for every password",
        replace(
            SECURITY,
            """def hash_password(password: str) -> str:
    return _hasher.hash(password)""",
            """def hash_password(password: str) -> str:
    from argon2.low_level import Type, hash_secret

    return hash_secret(password.encode(), b"fixed-salt-1234", time_cost=2, memory_cost=19456,
                       parallelism=1, hash_len=32, type=Type.ID).decode()""",
        ),
        catches=["passwords::hashes_are_salted"],
        rules=["R3.14"],
    ),
    mutant(
        "no-upgrade-on-login",
        "legacy MD5 hashes verified but never replaced",
        replace(
            SECURITY,
            """        return True, hash_password(password)
    try:""",
            """        return True, None
    try:""",
        ),
        catches=["passwords::legacy_hash_upgraded"],
        rules=["R3.16"],
    ),
    mutant(
        "legacy-not-supported",
        "the new hash only: MD5-era users are locked out",
        replace(SECURITY, """    if _LEGACY_MD5.fullmatch(stored):""", """    if False:"""),
        catches=["passwords::legacy_login_works"],
        rules=["R2.1", "R3.15"],
    ),
    mutant(
        "legacy-any-password",
        "the MD5 branch forgets to compare: any password opens an old account",
        replace(
            SECURITY, """        if not hmac.compare_digest(legacy, stored):""", """        if not legacy:"""
        ),
        catches=["passwords::legacy_login_works"],
        rules=["R2.1", "R3.15"],
    ),
    mutant(
        "verify-ignores-case",
        "the password is lower-cased before hashing and checking",
        replace(
            SECURITY,
            """    try:
        _hasher.verify(stored, password)""",
            """    try:
        _hasher.verify(stored, password.lower())""",
        ),
        replace(
            SECURITY,
            """def hash_password(password: str) -> str:
    return _hasher.hash(password)""",
            """def hash_password(password: str) -> str:
    return _hasher.hash(password.lower())""",
        ),
        catches=["passwords::wrong_password_refused"],
        rules=["R3.5"],
    ),
    # --- secrets -------------------------------------------------------------------------------------------
    mutant(
        "secret-default",
        "a fallback for a missing secret: the starter's key as the default",
        replace(
            CONFIG,
            """    secret_key: str = Field(min_length=32)""",
            """    secret_key: str = Field(default="lab09-insecure-dev-key-9f2c7a1e5b", min_length=32)""",
        ),
        catches=["secrets::refuses_to_start_without_secret", "secrets::no_secret_in_source"],
        rules=["R1.1", "R7.7"],
    ),
    mutant(
        "secret-any-length",
        "an empty SECRET_KEY is accepted",
        replace(CONFIG, """    secret_key: str = Field(min_length=32)""", """    secret_key: str"""),
        catches=["secrets::refuses_weak_secret"],
        rules=["R1.2"],
    ),
    mutant(
        "session-ids-keyed-with-literal",
        "settings read from the environment, but the session ids are still keyed with the old literal",
        replace(
            SESSIONS,
            """    return hmac.new(settings.secret_key.encode(), cookie.encode(), hashlib.sha256).hexdigest()""",
            """    return hmac.new(b"lab09-insecure-dev-key-9f2c7a1e5b", cookie.encode(), hashlib.sha256).hexdigest()""",
        ),
        catches=["secrets::secret_from_environment", "secrets::no_secret_in_source"],
        rules=["R1.3", "R7.7"],
    ),
    mutant(
        "legacy-signed-sessions-accepted",
        "after the move to server-side sessions, the old signed cookies (signed with the starter's key) are "
        "still accepted so that nobody is logged out: anyone can sign one for the admin",
        replace(
            MAIN,
            "app.add_middleware(SecurityHeadersMiddleware)\n",
            'app.add_middleware(SessionMiddleware, secret_key="lab09-insecure-dev-key-9f2c7a1e5b")\n'
            "app.add_middleware(SecurityHeadersMiddleware)\n",
        ),
        replace(
            MAIN,
            "from fastapi.responses import HTMLResponse, JSONResponse, Response\n",
            "from fastapi.responses import HTMLResponse, JSONResponse, Response\n"
            "from starlette.middleware.sessions import SessionMiddleware\n",
        ),
        replace(
            SESSIONS,
            """    return Session(user_id=row["user_id"], csrf_token=row["csrf_token"]) if row else None""",
            """    if row is None and "user_id" in request.session:  # a session signed before the move
        return Session(user_id=request.session["user_id"], csrf_token="")
    return Session(user_id=row["user_id"], csrf_token=row["csrf_token"]) if row else None""",
        ),
        catches=["secrets::forged_session_refused", "secrets::no_secret_in_source"],
        rules=["R1.3", "R7.7"],
    ),
    mutant(
        "secret-made-up-at-startup",
        "a random key per process: sessions die with every restart and differ between instances",
        replace(
            SESSIONS,
            """    return hmac.new(settings.secret_key.encode(), cookie.encode(), hashlib.sha256).hexdigest()""",
            """    return hmac.new(_PROCESS_KEY, cookie.encode(), hashlib.sha256).hexdigest()""",
        ),
        replace(
            SESSIONS, 'COOKIE = "session"\n', 'COOKIE = "session"\n_PROCESS_KEY = secrets.token_bytes(32)\n'
        ),
        catches=["secrets::secret_from_environment"],
        rules=["R1.3"],
    ),
    mutant(
        "secret-env-fallback",
        "os.environ.get with a default in a helper nobody calls: still a secret in the code",
        replace(
            CONFIG,
            """settings = Settings()""",
            """settings = Settings()


def fallback_key() -> str:
    import os

    return os.environ.get("SECRET_KEY", "please-change-me-in-production")""",
        ),
        catches=["secrets::no_secret_in_source"],
        rules=["R7.7"],
    ),
    # --- headers and cookies -------------------------------------------------------------------------------
    mutant(
        "headers-html-only",
        "security headers added to the HTML pages only",
        replace(
            HEADERS,
            """            if message["type"] == "http.response.start":""",
            """            if message["type"] == "http.response.start" and not scope["path"].startswith("/api/"):""",
        ),
        catches=["headers::hsts", "headers::nosniff", "headers::frame_ancestors", "headers::referrer_policy"],
        rules=["R7.2", "R7.3", "R7.4", "R7.5"],
    ),
    mutant(
        "hsts-short",
        "HSTS for a day",
        replace(HEADERS, '''"max-age=63072000; includeSubDomains"''', '''"max-age=86400"'''),
        catches=["headers::hsts"],
        rules=["R7.3"],
    ),
    mutant(
        "no-nosniff",
        "X-Content-Type-Options forgotten",
        replace(HEADERS, """    "X-Content-Type-Options": "nosniff",\n""", ""),
        catches=["headers::nosniff"],
        rules=["R7.4"],
    ),
    mutant(
        "no-frame-ancestors",
        "X-Frame-Options kept, frame-ancestors forgotten in the CSP",
        replace(HEADERS, '''"frame-ancestors 'none'; form-action 'self'"''', '''"form-action 'self'"'''),
        catches=["headers::frame_ancestors"],
        rules=["R7.2"],
    ),
    mutant(
        "referrer-unsafe-url",
        "Referrer-Policy: unsafe-url",
        replace(HEADERS, '''"strict-origin-when-cross-origin"''', '''"unsafe-url"'''),
        catches=["headers::referrer_policy"],
        rules=["R7.5"],
    ),
    mutant(
        "cookie-not-secure",
        "Secure left off: the session cookie travels over plain HTTP",
        replace(SESSIONS, """        secure=True,\n""", """        secure=False,\n"""),
        catches=["headers::session_cookie_flags"],
        rules=["R3.17"],
    ),
    mutant(
        "csp-without-object-src",
        "a CSP with only script-src: plugins and <base> still open",
        replace(
            HEADERS,
            '''"default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "''',
            '''"script-src 'self'; "''',
        ),
        catches=["xss::csp_blocks_inline_scripts"],
        rules=["R7.1"],
    ),
    # --- path traversal -----------------------------------------------------------------------------------
    mutant(
        "join-without-check",
        "the name joined to the folder and opened",
        replace(
            FILES,
            _PUBLIC_FILE_CHECK,
            """    path = root / name
    if not path.is_file():""",
        ),
        catches=[
            "traversal::parent_directory_refused",
            "traversal::absolute_path_refused",
            "traversal::sibling_folder_refused",
        ],
        rules=["R6.2"],
    ),
    mutant(
        "strip-dot-dot-slash",
        "../ removed once from the name instead of resolving it",
        replace(
            FILES,
            """        path = (root / name).resolve()""",
            """        path = root / name.replace("../", "")""",
        ),
        replace(FILES, _PUBLIC_FILE_CHECK, """    if not path.is_file():"""),
        catches=["traversal::filter_bypass_refused", "traversal::absolute_path_refused"],
        rules=["R6.2"],
    ),
    mutant(
        "string-prefix-check",
        "the resolved path compared as a string prefix",
        replace(
            FILES, _PUBLIC_FILE_CHECK, """    if not str(path).startswith(str(root)) or not path.is_file():"""
        ),
        catches=["traversal::sibling_folder_refused"],
        rules=["R6.2"],
    ),
    mutant(
        "dot-dot-refused-only",
        "names with .. refused, absolute names forgotten",
        replace(FILES, _PUBLIC_FILE_CHECK, """    if ".." in name or not path.is_file():"""),
        catches=["traversal::absolute_path_refused"],
        rules=["R6.2"],
    ),
    mutant(
        "basename-only",
        "an over-fix: only the base name is kept, subfolders stop working",
        replace(
            FILES,
            """        path = (root / name).resolve()""",
            """        path = (root / Path(name).name).resolve()""",
        ),
        catches=["traversal::download_works"],
        rules=["R5.2", "R6.1"],
    ),
    # --- SSRF ----------------------------------------------------------------------------------------------
    mutant(
        "fetch-follows-redirects",
        "the library follows redirects by itself: only the first URL is checked",
        replace(
            FETCH,
            _FETCH_TEXT,
            """def fetch_text(url: str) -> str:
    _check(url)
    try:
        response = httpx.get(url, follow_redirects=True, timeout=5.0, trust_env=False)
    except httpx.HTTPError as exc:
        raise FetchFailed("the URL could not be fetched") from exc
    if response.status_code != 200:
        raise FetchFailed(f"the URL answered {response.status_code}")
    return response.text[:MAX_BYTES].replace("\\x00", "")


def _careful_fetch_text(url: str) -> str:""",
        ),
        catches=["ssrf::redirect_to_internal_refused"],
        rules=["R4.13"],
    ),
    mutant(
        "host-only-allowlist",
        "the allowlist compares hosts and ignores ports",
        replace(
            FETCH,
            """    if not host or origin not in settings.allowed_origins:""",
            """    if not host or host not in {o.rsplit(":", 1)[0] for o in settings.allowed_origins}:""",
        ),
        catches=["ssrf::other_origin_refused", "ssrf::own_port_refused"],
        rules=["R4.12"],
    ),
    mutant(
        "startswith-allowlist",
        "the URL tested with startswith instead of being parsed",
        replace(
            FETCH,
            _FETCH_HOPS,
            """            if not any(url.startswith(f"http://{o}") for o in settings.allowed_origins):
                raise FetchRefused("not allowed")
            parts0 = urlsplit(url)
            scheme, host, port = parts0.scheme, parts0.hostname or "", parts0.port or 80""",
        ),
        catches=["ssrf::url_tricks_refused"],
        rules=["R4.12"],
    ),
    mutant(
        "substring-allowlist",
        "the allowed origin searched anywhere in the URL",
        replace(
            FETCH,
            _FETCH_HOPS,
            """            if not any(o in url for o in settings.allowed_origins):
                raise FetchRefused("not allowed")
            parts0 = urlsplit(url)
            scheme, host, port = parts0.scheme, parts0.hostname or "", parts0.port or 80""",
        ),
        catches=["ssrf::url_tricks_refused"],
        rules=["R4.12"],
    ),
    mutant(
        "loopback-blocklist",
        "a blocklist of loopback names instead of the allowlist",
        replace(
            FETCH,
            """    if not host or origin not in settings.allowed_origins:""",
            """    if not host or host in ("localhost", "127.0.0.1", "::1") and origin not in settings.allowed_origins:""",
        ),
        catches=["ssrf::loopback_spellings_refused"],
        rules=["R4.12"],
    ),
    mutant(
        "scheme-not-checked",
        "any scheme with an allowed host:port goes to the HTTP client",
        replace(
            FETCH,
            """    if parts.scheme not in DEFAULT_PORTS:
        raise FetchRefused("only http and https URLs can be fetched")
""",
            "",
        ),
        replace(
            FETCH,
            "    port = port or DEFAULT_PORTS[parts.scheme]",
            "    port = port or DEFAULT_PORTS.get(parts.scheme, 80)",
        ),
        catches=["ssrf::non_http_schemes_refused"],
        rules=["R4.12"],
    ),
    mutant(
        "redirect-checked-after-fetch",
        "each redirect target fetched first, then checked",
        replace(
            FETCH,
            """                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue""",
            """                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        try:
                            httpx.get(url, timeout=2.0)
                        except httpx.HTTPError:
                            pass
                        continue""",
        ),
        catches=["ssrf::redirect_to_internal_refused"],
        rules=["R4.13"],
    ),
    mutant(
        "redirects-never-followed",
        "an over-fix: any redirect is refused",
        replace(
            FETCH,
            """                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue""",
            """                    if response.is_redirect:
                        raise FetchRefused("redirects are not followed")""",
        ),
        catches=["ssrf::allowed_redirect_followed"],
        rules=["R4.13"],
    ),
    mutant(
        "allowlist-unread",
        "an over-fix: the allowlist variable is misspelt, so nothing is allowed",
        replace(CONFIG, '''    fetch_allowed_origins: str = ""''', '''    fetch_allowed_origin: str = ""'''),
        replace(
            CONFIG, """self.fetch_allowed_origins.split(",")""", """self.fetch_allowed_origin.split(",")"""
        ),
        catches=["ssrf::import_from_allowed_origin"],
        rules=["R4.11"],
    ),
    # --- open redirect -------------------------------------------------------------------------------------
    mutant(
        "next-unchecked",
        "next used as it comes",
        replace(FORMS, _SAFE_NEXT, '''    return target or "/"'''),
        catches=["redirects::absolute_url_refused", "redirects::scheme_relative_refused"],
        rules=["R5.3"],
    ),
    mutant(
        "next-startswith-slash",
        "next accepted when it starts with /",
        replace(FORMS, _SAFE_NEXT, '''    return target if target and target.startswith("/") else "/"'''),
        catches=["redirects::scheme_relative_refused"],
        rules=["R5.3"],
    ),
    mutant(
        "next-raw-location",
        "the Location header written by hand, and only // refused",
        replace(
            FORMS,
            _SAFE_NEXT,
            '''    return target if target and target.startswith("/") and not target.startswith("//") else "/"''',
        ),
        replace(
            PAGES,
            """    response = RedirectResponse(safe_next(next_path), status_code=303)""",
            """    response = Response(status_code=303, headers={"Location": safe_next(next_path)})""",
        ),
        catches=["redirects::browser_quirks_refused"],
        rules=["R5.3"],
    ),
    mutant(
        "next-ignored",
        "an over-fix: always back to the home page",
        replace(
            PAGES,
            """    response = RedirectResponse(safe_next(next_path), status_code=303)""",
            """    response = RedirectResponse("/", status_code=303)""",
        ),
        catches=["redirects::next_path_followed"],
        rules=["R5.3"],
    ),
    # --- errors --------------------------------------------------------------------------------------------
    mutant(
        "debug-on",
        "debug left on and no handler of its own",
        replace(
            MAIN,
            """app = FastAPI(title="Notebook", lifespan=lifespan)""",
            """app = FastAPI(title="Notebook", lifespan=lifespan, debug=True)""",
        ),
        replace(
            MAIN,
            """@app.exception_handler(Exception)
async def unexpected_error""",
            """async def unexpected_error""",
        ),
        catches=["errors::api_errors_quiet", "errors::html_errors_quiet"],
        rules=["R7.6"],
    ),
    mutant(
        "error-message-echoed",
        "the API's 500 answer carries the exception's message",
        replace(
            MAIN,
            """        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)""",
            """        return JSONResponse({"detail": f"{type(exc).__name__}: {exc}"}, status_code=500)""",
        ),
        catches=["errors::api_errors_quiet"],
        rules=["R7.6"],
    ),
    mutant(
        "error-page-traceback",
        "the HTML error page shows the traceback 'for the developers'",
        replace(
            MAIN,
            """    return HTMLResponse("<!doctype html><title>Error</title><h1>Something went wrong</h1>", status_code=500)""",
            """    import traceback

    trace = "".join(traceback.format_exception(exc))
    return HTMLResponse(f"<h1>Something went wrong</h1><pre>{trace}</pre>", status_code=500)""",
        ),
        catches=["errors::html_errors_quiet"],
        rules=["R7.6"],
    ),
    # --- validation ----------------------------------------------------------------------------------------
    mutant(
        "username-unchecked",
        "any username accepted",
        replace(
            AUTH, """Username = Annotated[str, Field(pattern=r"^[a-z0-9_]{3,32}$")]""", """Username = str"""
        ),
        catches=["validation::username_rules"],
        rules=["R3.2"],
    ),
    mutant(
        "password-unbounded",
        "no upper bound on the password length",
        replace(
            AUTH,
            """    password: str = Field(min_length=8, max_length=128)""",
            """    password: str = Field(min_length=8)""",
        ),
        catches=["validation::password_length"],
        rules=["R3.3"],
    ),
    mutant(
        "username-too-strict",
        "an over-fix: usernames must be letters only",
        replace(AUTH, """Field(pattern=r"^[a-z0-9_]{3,32}$")""", """Field(pattern=r"^[a-z]{3,32}$")"""),
        catches=["validation::valid_registration_accepted"],
        rules=["R3.1", "R3.2", "R3.3"],
    ),
    # --- rules and edges of issue 12 --------------------------------------------------------------------
    mutant(
        "logout-keeps-session",
        "POST /api/logout answers 204 but forgets to clear the session",
        replace(
            AUTH,
            """    response = Response(status_code=204)\n    end_session(conn, request, response)\n    return response""",
            """    return Response(status_code=204)""",
        ),
        catches=["accounts::me_and_logout"],
        rules=["R3.6"],
    ),
    mutant(
        "logout-only-clears-cookie",
        "logout tells the browser to forget the cookie and leaves the session alive on the server: a copy "
        "of the cookie taken before still logs in",
        replace(
            SESSIONS,
            """    \"\"\"Logout: the session is deleted on the server, then the browser is told to forget the cookie.\"\"\"
    _delete(conn, request)
""",
            """    \"\"\"Logout: the session is deleted on the server, then the browser is told to forget the cookie.\"\"\"
""",
        ),
        catches=["accounts::logout_ends_session_on_server"],
        rules=["R3.19"],
    ),
    mutant(
        "logout-deletes-raw-id",
        "logout deletes the row by the cookie's value while the table is keyed by its HMAC: nothing is deleted",
        replace(
            SESSIONS,
            """        conn.execute("DELETE FROM sessions WHERE id = %s", (_row_id(cookie),))""",
            """        conn.execute("DELETE FROM sessions WHERE id = %s", (cookie,))""",
        ),
        catches=["accounts::logout_ends_session_on_server"],
        rules=["R3.19"],
    ),
    mutant(
        "taken-username-upserts",
        "an 'upsert' to avoid the unique-violation error: registering a taken name resets its password",
        replace(
            CRUD,
            """        "INSERT INTO users (username, password_hash) VALUES (%s, %s) RETURNING *",""",
            """        "INSERT INTO users (username, password_hash) VALUES (%s, %s) "
        "ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash RETURNING *",""",
        ),
        catches=["validation::taken_username_refused"],
        rules=["R3.4"],
    ),
    mutant(
        "website-length-unchecked",
        "the website is checked for its scheme and not for its length",
        replace(
            USERS,
            """Website = Annotated[str, Field(max_length=200), AfterValidator(web_url)]""",
            """Website = Annotated[str, AfterValidator(web_url)]""",
        ),
        catches=["validation::profile_field_limits"],
        rules=["R3.9"],
    ),
    mutant(
        "display-name-49",
        "an off-by-one limit: display names of exactly 50 characters are refused",
        replace(
            USERS,
            """    display_name: str | None = Field(default=None, max_length=50)""",
            """    display_name: str | None = Field(default=None, max_length=49)""",
        ),
        catches=["validation::profile_field_limits"],
        rules=["R3.8"],
    ),
    mutant(
        "search-oldest-first",
        "search results in insertion order: the oldest note first, the newest cut by the limit",
        replace(
            CRUD,
            _SEARCH_PARAMS,
            _SEARCH_PARAMS.replace("ORDER BY id DESC LIMIT 100", "ORDER BY id LIMIT 100"),
        ),
        catches=["injection::search_rules"],
        rules=["R4.3"],
    ),
    mutant(
        "search-case-sensitive",
        "LIKE where ILIKE was meant: the search depends on case",
        replace(CRUD, _SEARCH_PARAMS, _SEARCH_PARAMS.replace("ILIKE", "LIKE")),
        catches=["injection::search_rules"],
        rules=["R4.3"],
    ),
    mutant(
        "search-backslash-not-escaped",
        "% and _ are escaped but not the escape character itself: a backslash in q is eaten",
        replace(
            CRUD,
            """    pattern = "%" + q.replace("\\\\", "\\\\\\\\").replace("%", "\\\\%")""",
            """    pattern = "%" + q.replace("%", "\\\\%")""",
        ),
        catches=["injection::like_wildcards_are_data"],
        rules=["R4.4"],
    ),
    mutant(
        "import-any-status",
        "the import keeps whatever the page answered: a 404 or 500 page becomes a note",
        replace(
            FETCH,
            """                    if response.status_code != 200:
                        raise FetchFailed(f"the URL answered {response.status_code}")
""",
            "",
        ),
        catches=["ssrf::upstream_failure_502"],
        rules=["R4.14"],
    ),
    mutant(
        "two-redirects-only",
        "an off-by-one hop count: the third redirect is refused",
        replace(FETCH, "MAX_REDIRECTS = 3", "MAX_REDIRECTS = 2"),
        catches=["ssrf::allowed_redirect_followed"],
        rules=["R4.13"],
    ),
    mutant(
        "api-body-any-content-type",
        "the note API parses the raw body as JSON whatever its Content-Type: a cross-site text/plain form posts notes",
        replace(
            NOTES,
            "from fastapi import APIRouter, HTTPException, Response",
            "from fastapi import APIRouter, HTTPException, Request, Response",
        ),
        replace(
            NOTES,
            """def create_note(body: NoteIn, user: CurrentUser, conn: DbConn) -> Row:
""",
            """async def create_note(request: Request, user: CurrentUser, conn: DbConn) -> dict:
    body = NoteIn.model_validate_json(await request.body())
""",
        ),
        catches=["csrf::api_takes_json_only"],
        rules=["R5.5"],
    ),
    mutant(
        "note-page-ignores-privacy",
        "the HTML note page looks the note up by id without asking who may see it",
        replace(
            PAGES, "    note = visible_note(conn, note_id, user)", "    note = crud.get_note(conn, note_id)"
        ),
        catches=["bola::private_note_read_refused"],
        rules=["R5.2", "R4.2"],
    ),
    mutant(
        "readable-csrf-cookie-hides-insecure-session",
        "a script-readable XSRF-TOKEN cookie next to a session cookie that lost Secure: the check must look "
        "at the session cookie, whatever other cookie the login sets",
        replace(SESSIONS, """        secure=True,\n""", """        secure=False,\n"""),
        replace(
            AUTH,
            """def login(body: Credentials, request: Request, response: Response, conn: DbConn) -> Row:""",
            """def login(body: Credentials, request: Request, response: Response, conn: DbConn) -> Row:
    response.set_cookie("XSRF-TOKEN", "readable", secure=True, httponly=False, samesite="lax")""",
        ),
        catches=["headers::session_cookie_flags"],
        rules=["R3.17"],
    ),
    mutant(
        "secret-min-16",
        "a minimum length taken from an older guide: 16-character keys start the app",
        replace(
            CONFIG, "    secret_key: str = Field(min_length=32)", "    secret_key: str = Field(min_length=16)"
        ),
        catches=["secrets::refuses_weak_secret"],
        rules=["R1.2"],
    ),
]

# --- blind mutants: written from the README contract and the solution only, never the suite ---------
# Dropped: "open-redirect-backslash" (safe_next without its backslash test) does not break R5.3 here:
# Starlette's RedirectResponse percent-encodes the Location, so next=/\evil.com sends the browser to
# /%5Cevil.com, a path on this site. The own mutant next-raw-location covers a raw Location header.

BLIND = [
    blind(
        "files-prefix-startswith",
        "Checking containment with a string prefix instead of a path relation feels equivalent, but /files/public-staging starts with the text /files/public.",
        replace(
            "app/web/files.py",
            "    if not path.is_relative_to(root) or not path.is_file():\n",
            "    if not str(path).startswith(str(root)) or not path.is_file():\n",
        ),
        catches=["traversal::sibling_folder_refused"],
        rules=["R6.2"],
    ),
    blind(
        "files-basename-only",
        "Stripping every directory from the name is the quick fix for ../ traversal, and it silently drops the allowed subfolders too.",
        replace(
            "app/web/files.py",
            "        path = (root / name).resolve()\n",
            "        path = (root / Path(name).name).resolve()\n",
        ),
        catches=["traversal::download_works"],
        rules=["R6.1"],
    ),
    blind(
        "search-like-wildcards-unescaped",
        "After switching to a query parameter the learner believes the search is safe, forgetting that % and _ inside q are still LIKE wildcards.",
        replace(
            "app/crud.py",
            '    pattern = "%" + q.replace("\\\\", "\\\\\\\\").replace("%", "\\\\%").replace("_", "\\\\_") + "%"\n',
            '    pattern = f"%{q}%"\n',
        ),
        catches=["injection::like_wildcards_are_data"],
        rules=["R4.4"],
    ),
    blind(
        "legacy-md5-never-upgraded",
        "Making legacy users able to log in looks like the whole job; the learner relies on check_needs_rehash, which never runs for MD5 hashes.",
        replace(
            "app/core/security.py",
            "        return True, hash_password(password)\n",
            "        return True, None\n",
        ),
        catches=["passwords::legacy_hash_upgraded"],
        rules=["R3.16"],
    ),
    blind(
        "argon2-time-cost-one",
        "RFC 9106 mentions t=1 and the memory figure looks like the OWASP one, so the learner lowers the iterations to speed up tests without checking m·t.",
        replace(
            "app/core/security.py",
            "_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)\n",
            "_hasher = PasswordHasher(time_cost=1, memory_cost=19456, parallelism=1)\n",
        ),
        catches=["passwords::new_hash_is_slow"],
        rules=["R3.13"],
    ),
    blind(
        "csrf-missing-on-delete-form",
        "The token dependency is added to the create and profile forms but forgotten on the small delete button form.",
        replace(
            "app/web/pages.py",
            "def delete_note(note_id: int, request: Request, conn: DbConn, user: OptionalUser, _: CsrfChecked) -> Response:\n",
            "def delete_note(note_id: int, request: Request, conn: DbConn, user: OptionalUser) -> Response:\n",
        ),
        catches=["csrf::cross_site_delete_refused"],
        rules=["R5.4"],
    ),
    blind(
        "session-cookie-not-secure",
        "The learner turns Secure off because 'the dev server is plain HTTP', believing a Secure cookie would break local login.",
        replace("app/core/sessions.py", "        secure=True,\n", "        secure=False,\n"),
        catches=["headers::session_cookie_flags"],
        rules=["R3.17"],
    ),
    blind(
        "csp-without-base-uri",
        "It is tempting to think default-src 'self' covers everything, but base-uri is one of the directives that does not fall back to default-src.",
        replace(
            "app/core/headers.py",
            "        \"default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \"\n",
            "        \"default-src 'self'; script-src 'self'; object-src 'none'; \"\n",
        ),
        catches=["xss::csp_blocks_inline_scripts"],
        rules=["R7.1"],
    ),
    blind(
        "security-headers-html-only",
        "CSP and friends feel like page concerns, so the learner only decorates text/html responses and skips JSON answers and downloaded files.",
        replace(
            "app/core/headers.py",
            "                for name, value in SECURITY_HEADERS.items():\n                    headers[name] = value\n",
            '                if headers.get("content-type", "").startswith("text/html"):\n                    for name, value in SECURITY_HEADERS.items():\n                        headers[name] = value\n',
        ),
        catches=["headers::hsts", "headers::nosniff", "headers::referrer_policy", "headers::frame_ancestors"],
        rules=["R7.2", "R7.3", "R7.4", "R7.5"],
    ),
    blind(
        "hsts-six-months",
        "Many older guides recommend max-age=15768000 (six months) and the learner copies it.",
        replace(
            "app/core/headers.py",
            '    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",\n',
            '    "Strict-Transport-Security": "max-age=15768000; includeSubDomains",\n',
        ),
        catches=["headers::hsts"],
        rules=["R7.3"],
    ),
    blind(
        "ssrf-redirects-followed-unchecked",
        "Letting httpx follow redirects (capped at 3) looks like it satisfies 'up to 3 redirects', but only the first URL went through the allowlist.",
        replace(
            "app/core/fetch.py",
            "    with httpx.Client(follow_redirects=False, timeout=5.0, trust_env=False) as client:\n",
            "    with httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=5.0, trust_env=False) as client:\n",
        ),
        catches=["ssrf::redirect_to_internal_refused"],
        rules=["R4.13"],
    ),
    blind(
        "ssrf-allowlist-host-only",
        "Allowlisting hosts rather than host:port pairs is the common mental model, so another port on the same allowed host (127.0.0.1:<app port>/internal/metadata) slips through.",
        replace(
            "app/core/fetch.py",
            "    if not host or origin not in settings.allowed_origins:\n",
            '    if not host or host not in {item.rsplit(":", 1)[0] for item in settings.allowed_origins}:\n',
        ),
        catches=["ssrf::own_port_refused"],
        rules=["R4.12"],
    ),
    blind(
        "import-body-not-truncated",
        "The loop stops reading once 64 KiB arrived, so the learner assumes the body is capped and forgets the last chunk overshoots the limit.",
        replace(
            "app/core/fetch.py",
            '                    text = body[:MAX_BYTES].decode(response.encoding or "utf-8", "replace")\n',
            '                    text = body.decode(response.encoding or "utf-8", "replace")\n',
        ),
        catches=["ssrf::import_body_capped"],
        rules=["R4.11"],
    ),
    blind(
        "api-delete-checks-visibility-only",
        "PATCH got the ownership check, but DELETE was fixed by copying the GET handler's visibility check, so anyone can delete another user's public note.",
        replace(
            "app/api/routes/notes.py",
            "    owned_note(conn, note_id, user)\n    crud.delete_note(conn, note_id)\n",
            "    visible_note(conn, note_id, user)\n    crud.delete_note(conn, note_id)\n",
        ),
        catches=["bola::public_note_write_refused"],
        rules=["R4.10"],
    ),
    blind(
        "private-note-visible-to-anonymous",
        "Guarding against user being None to avoid a TypeError flips the logic: anonymous visitors skip the ownership test and see private notes.",
        replace(
            "app/api/deps.py",
            '    if note is None or (note["private"] and (user is None or note["owner_id"] != user["id"])):\n',
            '    if note is None or (note["private"] and user is not None and note["owner_id"] != user["id"]):\n',
        ),
        catches=["bola::private_note_read_refused"],
        rules=["R4.2", "R4.6"],
    ),
    blind(
        "profile-generic-update-mass-assignment",
        "To stop 422s on unknown fields the learner allows extras and writes a generic 'update whatever was sent' helper, so is_admin in the body is written to the row.",
        replace(
            "app/api/routes/users.py",
            '    model_config = ConfigDict(extra="forbid")\n',
            '    model_config = ConfigDict(extra="allow")\n',
        ),
        replace(
            "app/crud.py",
            "    changes = {key: fields[key] for key in PROFILE_FIELDS if fields.get(key) is not None}\n",
            "    changes = {key: value for key, value in fields.items() if value is not None}\n",
        ),
        catches=["mass_assignment::admin_flag_via_api_refused", "mass_assignment::read_only_fields_refused"],
        rules=["R3.10"],
    ),
    blind(
        "public-profile-includes-is-admin",
        "own_user and public_user look alike and the learner reuses the richer one for public profiles, leaking is_admin.",
        replace(
            "app/api/routes/users.py",
            "    return crud.public_user(user)\n",
            "    return crud.own_user(user)\n",
        ),
        catches=["mass_assignment::public_profile_hides_secrets"],
        rules=["R3.11"],
    ),
    blind(
        "admin-by-username",
        "Since ADMIN_USERNAME names the admin, the learner compares usernames instead of reading is_admin, so promotions or demotions in the database are ignored.",
        replace(
            "app/api/routes/users.py",
            "from app.api.deps import CurrentUser, DbConn\n",
            "from app.api.deps import CurrentUser, DbConn\nfrom app.core.config import settings\n",
        ),
        replace(
            "app/api/routes/users.py",
            '    if not user["is_admin"]:\n',
            '    if user["username"] != settings.admin_username:\n',
        ),
        catches=["mass_assignment::admin_list_for_admins_only"],
        rules=["R3.12"],
    ),
    blind(
        "search-box-unquoted-attribute",
        "Autoescaping is on, so the learner trusts it everywhere, but an unquoted attribute value lets a space-separated payload add an event handler.",
        replace(
            "app/templates/search.html",
            '  <input name="q" value="{{ q }}">\n',
            "  <input name=q value={{ q }}>\n",
        ),
        catches=["xss::reflected_search"],
        rules=["R5.1"],
    ),
    blind(
        "note-body-br-marked-safe",
        "To show each line the learner replaces newlines with <br> and marks the result safe so the tags render, unescaping the whole body.",
        replace(
            "app/templates/note.html",
            '  <div class="body">{% for line in note.body.splitlines() %}{{ line }}<br>\n{% endfor %}</div>\n',
            '  <div class="body">{{ note.body | replace("\\n", "<br>\\n") | safe }}</div>\n',
        ),
        catches=["xss::stored_note_body"],
        rules=["R5.1"],
    ),
    blind(
        "username-pattern-unanchored",
        "The regex is copied without ^ and $, and pydantic's pattern searches rather than matching the whole string, so 'Ada!!abc' passes.",
        replace(
            "app/api/routes/auth.py",
            'Username = Annotated[str, Field(pattern=r"^[a-z0-9_]{3,32}$")]\n',
            'Username = Annotated[str, Field(pattern=r"[a-z0-9_]{3,32}")]\n',
        ),
        catches=["validation::username_rules"],
        rules=["R3.2"],
    ),
    blind(
        "secret-key-random-fallback",
        "A random key when SECRET_KEY is unset seems safer than a hard-coded one and keeps the app bootable, but it does not fail closed and sessions stop working across instances.",
        replace(
            "app/core/config.py", "from pathlib import Path\n", "import secrets\nfrom pathlib import Path\n"
        ),
        replace(
            "app/core/config.py",
            "    # No default on purpose: an app that falls back to a known key signs sessions anyone can forge.\n    secret_key: str = Field(min_length=32)\n",
            "    # Never a known default: when SECRET_KEY is unset, fall back to a fresh random key.\n    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(48), min_length=32)\n",
        ),
        catches=["secrets::refuses_to_start_without_secret"],
        rules=["R1.1"],
    ),
    blind(
        "debug-mode-left-on",
        "debug=True was turned on while hunting bugs and left in; the learner believes the generic exception handler still wins, but Starlette's debug page takes precedence.",
        replace(
            "app/main.py",
            'app = FastAPI(title="Notebook", lifespan=lifespan)\n',
            'app = FastAPI(title="Notebook", lifespan=lifespan, debug=True)\n',
        ),
        catches=["errors::api_errors_quiet", "errors::html_errors_quiet"],
        rules=["R7.6"],
    ),
    blind(
        "note-patch-truthiness",
        "Filtering unset fields with a truthiness test instead of 'is not None' looks equivalent, but it drops private=false and an empty body.",
        replace(
            "app/crud.py",
            '    changes = {key: fields[key] for key in ("title", "body", "private") if fields.get(key) is not None}\n',
            '    changes = {key: fields[key] for key in ("title", "body", "private") if fields.get(key)}\n',
        ),
        catches=["bola::owner_can_manage_notes"],
        rules=["R4.7"],
    ),
]

MUTANTS += BLIND

# -- blind, R3.19 server-side logout and R1.3 (issue 23); 4/5 caught before: cookie-truncated-before-hash escaped, the check now alters the cookie next to its end too
MUTANTS += [
    blind(
        "api-logout-only-clears-cookie",
        "The JSON logout only tells the browser to drop the cookie and never deletes the session row, so a copy of the cookie taken before logout still opens /api/me.",
        replace(
            AUTH,
            "    response = Response(status_code=204)\n    end_session(conn, request, response)",
            '    response = Response(status_code=204)\n    response.delete_cookie("session", path="/", secure=True, httponly=True, samesite="lax")',
        ),
        catches=["accounts::logout_ends_session_on_server"],
        rules=["R3.19"],
    ),
    blind(
        "logout-deletes-unhashed-id",
        "The delete looks the row up by the raw cookie value instead of its keyed hash, so logout deletes nothing and the old cookie keeps working.",
        replace(
            SESSIONS,
            'conn.execute("DELETE FROM sessions WHERE id = %s", (_row_id(cookie),))',
            'conn.execute("DELETE FROM sessions WHERE id = %s", (cookie,))',
        ),
        catches=["accounts::logout_ends_session_on_server"],
        rules=["R3.19"],
    ),
    blind(
        "cookie-truncated-before-hash",
        "Believing token_urlsafe(32) yields 32 characters, the learner hashes only cookie[:32], so a cookie altered or extended after its 32nd character (the token has 43) is still accepted.",
        replace(
            SESSIONS,
            "return hmac.new(settings.secret_key.encode(), cookie.encode(), hashlib.sha256).hexdigest()",
            "return hmac.new(settings.secret_key.encode(), cookie[:32].encode(), hashlib.sha256).hexdigest()",
        ),
        catches=["accounts::logout_ends_session_on_server"],
        rules=["R3.19"],
    ),
    blind(
        "session-id-unkeyed-sha256",
        "The session id is stored as a plain SHA-256 of the cookie, not keyed with SECRET_KEY, so an instance with another key on the same database accepts the session.",
        replace(
            SESSIONS,
            "return hmac.new(settings.secret_key.encode(), cookie.encode(), hashlib.sha256).hexdigest()",
            "return hashlib.sha256(cookie.encode()).hexdigest()",
        ),
        catches=["secrets::secret_from_environment"],
        rules=["R1.3"],
    ),
    blind(
        "per-process-random-pepper",
        "The learner keys the session hash with a random pepper made at import instead of SECRET_KEY, so a session made by one instance is refused by another instance with the same key.",
        replace(
            SESSIONS,
            "LIFETIME = timedelta(hours=8)",
            "_PEPPER = secrets.token_bytes(32)  # server-side pepper for session ids\nLIFETIME = timedelta(hours=8)",
        ),
        replace(
            SESSIONS,
            "return hmac.new(settings.secret_key.encode(), cookie.encode(), hashlib.sha256).hexdigest()",
            "return hmac.new(_PEPPER, cookie.encode(), hashlib.sha256).hexdigest()",
        ),
        catches=["secrets::secret_from_environment"],
        rules=["R1.3"],
    ),
]
