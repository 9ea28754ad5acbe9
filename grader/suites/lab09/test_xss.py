"""Cross-site scripting (OWASP A03:2021 Injection)"""

import httpx
from lab09_kit import (
    create_note,
    expect_no_live_markup,
    form_login,
    page_text,
    register,
    script_policy_problem,
    token,
    xss_payloads,
)

from grader.checks import check, describe, expect, expect_status, json_body

TRICKY_TEXT = 'Tom & Jerry <3 "quotes" 5 > 4'


def _marker() -> str:
    return "xss" + token(4)


def _get(client: httpx.Client, path: str, **params: str) -> httpx.Response:
    response = client.get(path, params=params)
    expect_status(response, 200)
    return response


@check(
    "Text with <, &, and quotes is shown exactly as it was written",
    points=2,
    rules=["R4.1", "R5.1"],
    hint="Escape on output, once: the API returns what was stored, the pages show it as text "
    "(&amp; in the HTML is shown as &). Escaping before storing, or twice, garbles it.",
)
def test_text_shown_as_written(api):
    user = register(api)
    title = f"{TRICKY_TEXT} {token()}"
    note = create_note(api, title, f"first line {TRICKY_TEXT}\nsecond line")
    stored = json_body(_get(api, f"/api/notes/{note['id']}"))
    expect(
        stored.get("title") == title,
        "GET /api/notes/{id} should return the title exactly as sent.",
        expected=title,
        actual=stored.get("title"),
    )
    for path, params in (
        (f"/notes/{note['id']}", {}),
        ("/", {}),
        ("/search", {"q": title}),
        (f"/users/{user.username}", {}),
    ):
        response = _get(api, path, **params)
        expect(
            title in page_text(response.text),
            f"{describe(response)}: the title should read «{title}» on the page.",
            expected=title,
            actual="not found as text (escaped twice, stripped, or missing)",
            response=response,
        )
    page = _get(api, f"/notes/{note['id']}")
    expect(
        f"first line {TRICKY_TEXT}" in page_text(page.text) and "second line" in page_text(page.text),
        f"{describe(page)}: both lines of the body should read as written.",
        response=page,
    )


@check(
    "A script in a note's title is shown as text on every page that lists it",
    points=3,
    rules=["R5.1", "R5.2"],
    needs=["text_shown_as_written"],
    hint="Every template that prints a title must escape it: the home page, the note page, the search "
    "results, the author's page. Check for |safe, Markup() and autoescape=False.",
)
def test_stored_note_title(api):
    user = register(api)
    for payload in xss_payloads(marker := _marker()):
        note = create_note(api, payload)
        pages = (
            (f"/notes/{note['id']}", {}),
            ("/", {}),
            ("/search", {"q": marker}),
            (f"/users/{user.username}", {}),
        )
        for path, params in pages:
            expect_no_live_markup(_get(api, path, **params), marker, f"the note title {payload!r}")


@check(
    "A script in a note's body is shown as text",
    points=3,
    rules=["R5.1", "R5.2"],
    needs=["text_shown_as_written"],
    hint="Turning line breaks into <br> must not turn the rest of the body into HTML: escape the text "
    "first (or let the template print each line).",
)
def test_stored_note_body(api):
    register(api)
    marker = _marker()
    body = "intro line\n" + "\n".join(xss_payloads(marker)) + "\nlast line"
    note = create_note(api, f"Body test {token()}", body)
    expect_no_live_markup(_get(api, f"/notes/{note['id']}"), marker, "the note body")


@check(
    "A script in a display name or bio is shown as text",
    points=3,
    rules=["R5.1"],
    needs=["text_shown_as_written"],
    hint="Profile fields appear on the user's page, next to their notes on the home page and in the "
    "navigation bar: every place must escape them.",
)
def test_stored_profile_fields(api):
    user = register(api)
    marker = _marker()
    payloads = xss_payloads(marker)
    create_note(api, f"Note of a tricky user {token()}")
    for payload in payloads:
        response = api.patch("/api/me", json={"display_name": payload[:50], "bio": payload})
        expect_status(response, 200)
        for path in (f"/users/{user.username}", "/", "/profile"):
            expect_no_live_markup(_get(api, path), marker, f"the display name / bio {payload[:50]!r}")


@check(
    "A website that is an http(s) URL is shown as a link on the profile",
    points=1,
    rules=["R5.2"],
    hint='PATCH /api/me with {"website": "https://..."} stores it and the user\'s page links to it.',
)
def test_website_link_shown(api):
    user = register(api)
    website = f"https://localhost/~{user.username}"
    expect_status(api.patch("/api/me", json={"website": website}), 200)
    page = _get(api, f"/users/{user.username}")
    expect(
        f'href="{website}"' in page.text,
        f"{describe(page)}: expected a link to {website}.",
        expected=f'<a href="{website}">',
        actual="no such link",
        response=page,
    )


@check(
    "A javascript: URL is refused as a website",
    points=2,
    rules=["R3.9", "R5.1"],
    needs=["website_link_shown"],
    hint="HTML escaping does not help in an href: javascript:alert(1) has nothing to escape. "
    "Accept only http:// and https:// URLs (422 otherwise).",
)
def test_website_javascript_url_refused(api):
    user = register(api)
    marker = _marker()
    for website in (
        f"javascript:alert('{marker}')",
        f" JavaScript:alert('{marker}')",
        f"java\tscript:alert('{marker}')",
        f"data:text/html,<script>alert('{marker}')</script>",
    ):
        response = api.patch("/api/me", json={"website": website})
        expect(
            response.status_code == 422,
            f"{describe(response)} with website {website!r} should answer 422.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )
        expect_no_live_markup(_get(api, f"/users/{user.username}"), marker, f"the website {website!r}")


@check(
    "The search term is shown as text on the results page",
    points=3,
    rules=["R5.1"],
    needs=["text_shown_as_written", "injection::quote_is_data"],
    hint="What comes from the query string goes back into the page: in the heading and in the input's "
    "value attribute. Both must be escaped, quotes included.",
)
def test_reflected_search(api):
    for payload in xss_payloads(marker := _marker()):
        response = _get(api, "/search", q=payload)
        expect_no_live_markup(response, marker, f"the search term {payload!r}")


@check(
    "The login page shows next= and a wrong username as text",
    points=3,
    rules=["R5.1"],
    needs=["text_shown_as_written"],
    hint='The login form puts next and the username back into value="..." attributes: a " in them '
    "must not close the attribute.",
)
def test_reflected_login(api):
    for payload in xss_payloads(marker := _marker()):
        expect_no_live_markup(_get(api, "/login", next=payload), marker, f"next={payload!r}")
        if "'" in payload:
            continue  # a quote in the username is the SQL injection module's business
        response = form_login(api, payload, "wrong-password")
        expect(
            response.status_code == 401,
            f"{describe(response)}: a failed login should answer 401.",
            expected="401",
            actual=str(response.status_code),
            response=response,
        )
        expect_no_live_markup(response, marker, f"the username {payload!r}")


@check(
    "A Content-Security-Policy forbids inline scripts on every page",
    points=2,
    rules=["R7.1"],
    hint="Defence in depth: a CSP without 'unsafe-inline' (script-src or default-src), with "
    "object-src 'none' and base-uri 'none' or 'self', stops the script an escaping bug lets in.",
)
def test_csp_blocks_inline_scripts(api):
    register(api)
    note = create_note(api, f"CSP {token()}")
    for path in ("/", "/login", "/search?q=x", f"/notes/{note['id']}", "/profile", "/files"):
        response = api.get(path)
        policies = response.headers.get_list("content-security-policy")
        expect(
            policies,
            f"{describe(response)}: no Content-Security-Policy header.",
            expected="Content-Security-Policy: default-src 'self'; ...",
            actual="none",
            response=response,
        )
        problems = [script_policy_problem(policy) for policy in policies]
        expect(
            any(problem is None for problem in problems),
            f"{describe(response)}: the Content-Security-Policy would let injected script run: "
            f"{problems[0]}.",
            expected="no 'unsafe-inline', object-src 'none', base-uri 'none' or 'self'",
            actual=policies[0],
            response=response,
        )
