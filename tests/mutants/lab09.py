"""lab09 (security): partial and naive fixes of the vulnerable Notebook app, each caught by a named check."""

# The snippets reproduce lines of the solution exactly, long ones included.
# ruff: noqa: E501

from tests.mutants import mutant, replace

CRUD = "app/crud.py"
PAGES = "app/web/pages.py"
FORMS = "app/web/forms.py"
FILES = "app/web/files.py"
FETCH = "app/core/fetch.py"
SECURITY = "app/core/security.py"
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
    ),
    mutant(
        "home-title-safe",
        "escaping everywhere but one template: the home page prints titles with |safe",
        replace("app/templates/home.html", """{{ note.title }}</a>""", """{{ note.title|safe }}</a>"""),
        catches=["xss::stored_note_title"],
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
    ),
    mutant(
        "search-term-safe",
        "the search heading prints the query string unescaped",
        replace("app/templates/search.html", "<em>{{ q }}</em>", "<em>{{ q|safe }}</em>"),
        catches=["xss::reflected_search"],
    ),
    mutant(
        "login-next-safe",
        "the hidden next field is marked safe",
        replace("app/templates/login.html", '''value="{{ next }}"''', '''value="{{ next|safe }}"'''),
        catches=["xss::reflected_login"],
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
    ),
    mutant(
        "csp-unsafe-inline",
        "a CSP that allows inline scripts (to keep an onclick working)",
        replace(HEADERS, """script-src 'self';""", """script-src 'self' 'unsafe-inline';"""),
        catches=["xss::csp_blocks_inline_scripts"],
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
    ),
    mutant(
        "csrf-only-if-present",
        "the token is checked only when the form sends one",
        replace(
            FORMS,
            """    if not csrf_valid(request, csrf_token):""",
            """    if csrf_token and not csrf_valid(request, csrf_token):""",
        ),
        catches=[
            "csrf::cross_site_create_refused",
            "csrf::cross_site_delete_refused",
            "csrf::cross_site_profile_refused",
        ],
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
    ),
    mutant(
        "csrf-global-token",
        "one token for everybody (derived from nothing per session)",
        replace(
            SECURITY,
            """    request.session["csrf"] = secrets.token_urlsafe(32)""",
            '''    request.session["csrf"] = "same-token-for-everyone"''',
        ),
        catches=["csrf::token_of_another_session_refused"],
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
    ),
    mutant(
        "samesite-none",
        "SameSite=None on the session cookie",
        replace(MAIN, """    same_site="lax",""", """    same_site="none","""),
        catches=["csrf::session_cookie_samesite"],
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
    ),
    mutant(
        "user-row-exposed",
        "GET /api/users/{id} returns the whole row",
        replace(USERS, """    return crud.public_user(user)""", """    return user"""),
        catches=["mass_assignment::public_profile_hides_secrets"],
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
    ),
    mutant(
        "legacy-not-supported",
        "the new hash only: MD5-era users are locked out",
        replace(SECURITY, """    if _LEGACY_MD5.fullmatch(stored):""", """    if False:"""),
        catches=["passwords::legacy_login_works"],
    ),
    mutant(
        "legacy-any-password",
        "the MD5 branch forgets to compare: any password opens an old account",
        replace(
            SECURITY, """        if not hmac.compare_digest(legacy, stored):""", """        if not legacy:"""
        ),
        catches=["passwords::legacy_login_works"],
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
    ),
    mutant(
        "secret-any-length",
        "an empty SECRET_KEY is accepted",
        replace(CONFIG, """    secret_key: str = Field(min_length=32)""", """    secret_key: str"""),
        catches=["secrets::refuses_weak_secret"],
    ),
    mutant(
        "session-signed-with-literal",
        "settings read from the environment, but the middleware still gets the old literal",
        replace(
            MAIN,
            """    secret_key=settings.secret_key,""",
            """    secret_key="lab09-insecure-dev-key-9f2c7a1e5b",""",
        ),
        catches=[
            "secrets::forged_session_refused",
            "secrets::secret_from_environment",
            "secrets::no_secret_in_source",
        ],
    ),
    mutant(
        "secret-made-up-at-startup",
        "a random key per process: sessions die with every restart and differ between instances",
        replace(MAIN, """    secret_key=settings.secret_key,""", """    secret_key=secrets.token_hex(32),"""),
        replace(
            MAIN,
            "from contextlib import asynccontextmanager\n",
            "import secrets\nfrom contextlib import asynccontextmanager\n",
        ),
        catches=["secrets::secret_from_environment"],
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
    ),
    mutant(
        "hsts-short",
        "HSTS for a day",
        replace(HEADERS, '''"max-age=63072000; includeSubDomains"''', '''"max-age=86400"'''),
        catches=["headers::hsts"],
    ),
    mutant(
        "no-nosniff",
        "X-Content-Type-Options forgotten",
        replace(HEADERS, """    "X-Content-Type-Options": "nosniff",\n""", ""),
        catches=["headers::nosniff"],
    ),
    mutant(
        "no-frame-ancestors",
        "X-Frame-Options kept, frame-ancestors forgotten in the CSP",
        replace(HEADERS, '''"frame-ancestors 'none'; form-action 'self'"''', '''"form-action 'self'"'''),
        catches=["headers::frame_ancestors"],
    ),
    mutant(
        "referrer-unsafe-url",
        "Referrer-Policy: unsafe-url",
        replace(HEADERS, '''"strict-origin-when-cross-origin"''', '''"unsafe-url"'''),
        catches=["headers::referrer_policy"],
    ),
    mutant(
        "cookie-not-secure",
        "https_only left off: the session cookie travels over plain HTTP",
        replace(MAIN, """    https_only=True,""", """    https_only=False,"""),
        catches=["headers::session_cookie_flags"],
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
    ),
    mutant(
        "string-prefix-check",
        "the resolved path compared as a string prefix",
        replace(
            FILES, _PUBLIC_FILE_CHECK, """    if not str(path).startswith(str(root)) or not path.is_file():"""
        ),
        catches=["traversal::sibling_folder_refused"],
    ),
    mutant(
        "dot-dot-refused-only",
        "names with .. refused, absolute names forgotten",
        replace(FILES, _PUBLIC_FILE_CHECK, """    if ".." in name or not path.is_file():"""),
        catches=["traversal::absolute_path_refused"],
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
    ),
    mutant(
        "allowlist-unread",
        "an over-fix: the allowlist variable is misspelt, so nothing is allowed",
        replace(CONFIG, '''    fetch_allowed_origins: str = ""''', '''    fetch_allowed_origin: str = ""'''),
        replace(
            CONFIG, """self.fetch_allowed_origins.split(",")""", """self.fetch_allowed_origin.split(",")"""
        ),
        catches=["ssrf::import_from_allowed_origin"],
    ),
    # --- open redirect -------------------------------------------------------------------------------------
    mutant(
        "next-unchecked",
        "next used as it comes",
        replace(FORMS, _SAFE_NEXT, '''    return target or "/"'''),
        catches=["redirects::absolute_url_refused", "redirects::scheme_relative_refused"],
    ),
    mutant(
        "next-startswith-slash",
        "next accepted when it starts with /",
        replace(FORMS, _SAFE_NEXT, '''    return target if target and target.startswith("/") else "/"'''),
        catches=["redirects::scheme_relative_refused"],
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
            """    return RedirectResponse(safe_next(next_path), status_code=303)""",
            """    return Response(status_code=303, headers={"Location": safe_next(next_path)})""",
        ),
        catches=["redirects::browser_quirks_refused"],
    ),
    mutant(
        "next-ignored",
        "an over-fix: always back to the home page",
        replace(
            PAGES,
            """    return RedirectResponse(safe_next(next_path), status_code=303)""",
            """    return RedirectResponse("/", status_code=303)""",
        ),
        catches=["redirects::next_path_followed"],
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
    ),
    # --- validation ----------------------------------------------------------------------------------------
    mutant(
        "username-unchecked",
        "any username accepted",
        replace(
            AUTH, """Username = Annotated[str, Field(pattern=r"^[a-z0-9_]{3,32}$")]""", """Username = str"""
        ),
        catches=["validation::username_rules"],
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
    ),
    mutant(
        "username-too-strict",
        "an over-fix: usernames must be letters only",
        replace(AUTH, """Field(pattern=r"^[a-z0-9_]{3,32}$")""", """Field(pattern=r"^[a-z]{3,32}$")"""),
        catches=["validation::valid_registration_accepted"],
    ),
]
