"""Helpers of the lab09 suite: accounts, HTML forms, live-markup detection, policy parsing."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx

from grader.checks import describe, expect, fail, require_status, setup_failed
from grader.stub import StubServer

# The attacker's site in every cross-site payload: a .localhost name (RFC 6761), never contacted.
ATTACKER = "attacker.localhost"
# The secret the starter hard-codes: a submission that still signs with it hands out admin sessions.
STARTER_SECRET = "lab09-insecure-dev-key-9f2c7a1e5b"
ALLOWED_PAGE = "Imported from the allowed site: lab09 page 4f1d"
INTERNAL_SECRET = "internal-only service: lab09 secret 8b2e"
IMPORT_LIMIT = 64 * 1024
# A page past the import's 64 KiB: its head must be kept, its tail (after the limit) cut.
BIG_PAGE = "head of the big page 5c1a\n" + "x" * (IMPORT_LIMIT + 4000) + "\ntail past the limit 9d3e"


@dataclass
class Upstreams:
    allowed: StubServer  # the one origin FETCH_ALLOWED_ORIGINS lists
    internal: StubServer  # an internal service on another port: the app must never contact it
    allowed_origin: str  # host:port as the app reaches it
    internal_origin: str


def token(n: int = 5) -> str:
    return secrets.token_hex(n)


def play_browser(client: httpx.Client) -> httpx.Client:
    """Send Secure cookies over http://127.0.0.1 too, as browsers do for localhost (a secure context).

    httpx copies the jar for every request (its policy with it), so the flag is cleared as cookies arrive.
    """

    def keep_secure_cookies_on_http(response: httpx.Response) -> None:
        for cookie in client.cookies.jar:
            cookie.secure = False

    client.event_hooks["response"].append(keep_secure_cookies_on_http)
    return client


def origin_of(client: httpx.Client) -> str:
    url = client.base_url
    return f"{url.scheme}://{url.netloc.decode()}"


# --- accounts ------------------------------------------------------------------------------------


@dataclass
class User:
    id: int
    username: str
    password: str


def register(client: httpx.Client, prefix: str = "u") -> User:
    """A new account, logged in on `client` (POST /api/register logs the new user in)."""
    username = f"{prefix}_{token()}"
    password = "pw-" + token(6)
    response = client.post("/api/register", json={"username": username, "password": password})
    # Registering only sets the scene for most checks: a failure here names POST /api/register as the cause.
    require_status(response, 201, purpose="register a user")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("id"), int)):
        setup_failed(
            f"could not register a user: {describe(response)} did not return the user with its integer id.",
            cause="POST /api/register returned no user id",
            expected='{"id": 7, "username": ...}',
            actual=response.text[:120],
            response=response,
        )
    me = client.get("/api/me")
    if me.status_code != 200:
        setup_failed(
            f"POST /api/register should log the new user in: GET /api/me answered {me.status_code} after it.",
            cause="POST /api/register did not log the new user in",
            hint="POST /api/register sets the session cookie, like a login.",
            expected="200",
            actual=str(me.status_code),
            response=me,
        )
    return User(id=body["id"], username=username, password=password)


def api_login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/login", json={"username": username, "password": password})


def logged_in_as(client: httpx.Client) -> dict | None:
    response = client.get("/api/me")
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def create_note(client: httpx.Client, title: str, body: str = "", private: bool = False) -> dict:
    response = client.post("/api/notes", json={"title": title, "body": body, "private": private})
    require_status(response, 201, purpose="create a note")
    try:
        note = response.json()
    except ValueError:
        note = None
    if not (isinstance(note, dict) and isinstance(note.get("id"), int)):
        setup_failed(
            f"could not create a note: {describe(response)} did not return the note with its integer id.",
            cause="POST /api/notes returned no note id",
            expected='{"id": 12, "title": ...}',
            actual=response.text[:120],
            response=response,
        )
    return note


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> the whole Set-Cookie line, for the cookies this response sets (not the ones it deletes)."""
    found: dict[str, str] = {}
    for line in response.headers.get_list("set-cookie"):
        name, _, rest = line.partition("=")
        value = rest.split(";", 1)[0].strip().strip('"')
        attributes = [part.strip().lower() for part in line.split(";")[1:]]
        if value and "max-age=0" not in attributes:
            found[name.strip()] = line
    return found


def session_cookies(response: httpx.Response, fresh: Callable[[], httpx.Client]) -> dict[str, str]:
    """The cookies of a login's answer that carry the session (the contract names only those).

    A cookie carries the session when a client holding it alone is logged in. When no single cookie does
    (a session split over several cookies), all of them are the session. Empty when the login set none.
    """
    cookies = set_cookies(response)
    found = {}
    for name, line in cookies.items():
        client = fresh()
        client.cookies.set(name, response.cookies.get(name) or line.partition("=")[2].split(";", 1)[0])
        if client.get("/api/me").status_code == 200:
            found[name] = line
    return found or cookies


def cookie_attributes(line: str) -> list[str]:
    """The lowercased attributes of a Set-Cookie line ("httponly", "samesite=lax", ...)."""
    return [part.strip().lower() for part in line.split(";")[1:] if part.strip()]


def session_cookie_lines(
    api: httpx.Client, new_api: Callable[[], httpx.Client]
) -> list[tuple[httpx.Response, str]]:
    """(response, Set-Cookie line) of the session cookie wherever it is set: register, API and form login.

    Only the session cookie is the contract's business: a script-readable CSRF cookie next to it is fine.
    """
    username, password = f"ck_{token()}", "pw-" + token(6)
    registered = new_api().post("/api/register", json={"username": username, "password": password})
    require_status(registered, 201, purpose="register a user")
    found: list[tuple[httpx.Response, str]] = []
    for response in (
        registered,
        api_login(api, username, password),
        form_login(new_api(), username, password),
    ):
        lines = session_cookies(response, new_api)
        expect(lines, f"{describe(response)}: it set no session cookie.", response=response)
        found.extend((response, line) for line in lines.values())
    return found


# --- HTML ------------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden (and pre-filled) inputs


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = Form(
                action=attributes.get("action", ""), method=attributes.get("method", "get").lower()
            )
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None:
            kind = attributes.get("type", "text").lower()
            if kind == "hidden" and attributes.get("name"):
                self._current.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.forms


def get_page(client: httpx.Client, path: str, *, status: int = 200) -> httpx.Response:
    response = client.get(path)
    require_status(response, status, purpose=f"open {path}")
    return response


def find_form(page: httpx.Response, action: str) -> Form:
    for form in forms_of(page.text):
        if urlsplit(form.action).path == action and form.method == "post":
            return form
    fail(
        f'{describe(page)}: the page has no <form method="post" action="{action}">.',
        expected=f'<form method="post" action="{action}">',
        actual="no such form",
        response=page,
    )


def submit(client: httpx.Client, page_path: str, action: str, fields: dict[str, str]) -> httpx.Response:
    """Fill the form like a browser: open the page, keep its hidden fields, post from the same origin."""
    form = find_form(get_page(client, page_path), action)
    return client.post(action, data={**form.fields, **fields}, headers={"Origin": origin_of(client)})


def form_login(
    client: httpx.Client, username: str, password: str, next_path: str | None = None
) -> httpx.Response:
    """Log in with the HTML form, the way a browser does (GET /login[?next=...], then POST it)."""
    params = {} if next_path is None else {"next": next_path}
    page = client.get("/login", params=params)
    require_status(page, 200, purpose="open the login form")
    form = find_form(page, "/login")
    fields = {"username": username, "password": password}
    if next_path is not None:
        fields["next"] = next_path
    return client.post("/login", data={**form.fields, **fields}, headers={"Origin": origin_of(client)})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def page_text(html: str) -> str:
    """What a reader sees: the text of the page with entities decoded."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}


class _LiveMarkup(HTMLParser):
    """Finds the marker where a browser would run it: in a <script>, an on* handler or a javascript: URL."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and self.marker in value:
                self.found.append(f'<{tag} {name}="{value[:60]}">')
            elif name in URL_ATTRIBUTES and self.marker in value:
                cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                if cleaned.startswith(("javascript:", "data:text/html", "vbscript:")):
                    self.found.append(f'<{tag} {name}="{value[:60]}">')
            elif name == "srcdoc" and self.marker in value:
                self.found.append(f"<{tag} srcdoc=…>")
        if tag == "script":
            self._in_script = True
            if any(self.marker in (value or "") for _, value in attrs):
                self.found.append("<script src=…>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.marker in data:
            self.found.append(f"<script>{data.strip()[:60]}</script>")


def live_markup(html: str, marker: str) -> list[str]:
    """Where `marker` would run as script in this page (empty when it only shows as text)."""
    parser = _LiveMarkup(marker)
    parser.feed(html)
    parser.close()
    return parser.found


def xss_payloads(marker: str) -> list[str]:
    """Injections for every context a value can land in: element text, attribute values, URLs."""
    call = f"alert({marker})"
    return [
        f"<script>{call}</script>",
        f'<img src=x onerror="{call}">',
        f"<svg/onload={call}>",
        f'"><img src=x onerror={call}>',
        f"' autofocus onfocus='{call}' x='",
        f'" autofocus onfocus="{call}" x="',
        f"</textarea></title><script>{call}</script>",
    ]


def expect_no_live_markup(response: httpx.Response, marker: str, what: str) -> None:
    found = live_markup(response.text, marker)
    expect(
        not found,
        f"{describe(response)}: {what} came back as live markup a browser would run.",
        expected="the text escaped (&lt;script&gt;…), shown, never run",
        actual=found[0] if found else "",
        response=response,
    )


# --- policies --------------------------------------------------------------------------------------


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.strip().split()
        if words and words[0].lower() not in directives:  # the first occurrence wins
            directives[words[0].lower()] = [word.lower() for word in words[1:]]
    return directives


def script_policy_problem(policy: str) -> str | None:
    """Why this CSP would let an injected inline script run, or None when it would not."""
    directives = csp_directives(policy)
    sources = directives.get("script-src", directives.get("default-src"))
    if sources is None:
        return "it has neither script-src nor default-src, so any script may run"
    with_nonce_or_hash = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in sources)
    for source in sources:
        if source == "'unsafe-inline'" and not with_nonce_or_hash:
            return "script-src allows 'unsafe-inline'"
        if source in (
            "'unsafe-eval'",
            "'unsafe-hashes'",
            "*",
            "data:",
            "blob:",
            "http:",
            "https:",
            "filesystem:",
        ):
            return f"script-src allows {source}"
    objects = directives.get("object-src", directives.get("default-src"))
    if objects != ["'none'"]:
        return "object-src is not 'none' (plugins can run script)"
    base = directives.get("base-uri")
    if base not in (["'none'"], ["'self'"]):
        return "base-uri is not 'none' or 'self' (an injected <base> redirects relative scripts)"
    return None


def browser_location(location: str, base: str) -> str:
    """The origin a browser would go to for this Location, read the lenient way browsers read URLs.

    Browsers drop tabs and newlines anywhere, trim spaces and control characters at both ends and,
    for http(s), read a backslash as a slash; "//host" (and "///host") changes the host.
    """
    base_parts = urlsplit(base)
    here = f"{base_parts.scheme}://{base_parts.netloc}".lower()
    cleaned = re.sub(r"[\t\n\r]", "", location).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b"
        "\x1c\x1d\x1e\x1f "
    )
    cleaned = cleaned.replace("\\", "/")
    scheme_match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", cleaned)
    rest = cleaned
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme != base_parts.scheme:
            return f"{scheme}:"  # another scheme is another origin (javascript:, https:, data:)
        rest = scheme_match.group(2)
    if rest.startswith("//"):
        authority = re.split(r"[/?#]", rest.lstrip("/"), maxsplit=1)[0]
        host = authority.rpartition("@")[2].lower()
        return f"{base_parts.scheme}://{host}"
    return here
