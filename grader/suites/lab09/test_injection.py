"""SQL injection (OWASP A03:2021 Injection)"""

from lab09_kit import User, api_login, create_note, form_login, logged_in_as, page_text, register, token

from grader.checks import check, describe, expect, expect_status, json_body

# Each one logs in as the first or the named user when the query is built by pasting strings.
LOGIN_PAYLOADS = [
    "{admin}'--",
    "{admin}' -- ",
    "{admin}' OR 'a'='a",
    "' OR '1'='1' --",
    "' OR 1=1 LIMIT 1 --",
    "\\' OR 1=1 --",
    "{admin}'/*",
]


def _admin(lab) -> str:
    return lab.app.env["ADMIN_USERNAME"]


@check(
    "Logging in with the HTML form works, and a wrong password is refused",
    points=1,
    rules=["R5.3"],
    hint="POST /login with the right username and password answers 303 and starts a session; "
    "a wrong password answers 401.",
)
def test_login_form_works(api, new_api):
    user = register(new_api())
    wrong = form_login(api, user.username, user.password + "x")
    expect_status(wrong, 401)
    expect(
        logged_in_as(api) is None, "a wrong password must not start a session (GET /api/me should be 401)."
    )
    right = form_login(api, user.username, user.password)
    expect_status(right, 303)
    me = logged_in_as(api)
    expect(
        me is not None and me.get("username") == user.username,
        f"after the form login GET /api/me should show {user.username}.",
        expected=user.username,
        actual=me,
    )


@check(
    "Logging in with the JSON API works, and a wrong password is refused",
    points=1,
    rules=["R3.5"],
    hint="POST /api/login answers 200 and the user for the right password, 401 for a wrong one.",
)
def test_api_login_works(api, new_api):
    user = register(new_api())
    expect_status(api_login(api, user.username, "not-" + user.password), 401)
    expect_status(api_login(api, user.username, user.password), 200)
    me = logged_in_as(api)
    expect(
        me is not None and me.get("username") == user.username,
        f"after POST /api/login, GET /api/me should show {user.username}.",
        expected=user.username,
        actual=me,
    )


@check(
    "Search finds public notes and the user's own notes",
    points=1,
    rules=["R4.2", "R4.3", "R5.2"],
    hint="GET /api/notes?q= and GET /search?q= list the notes whose title or body contain q: "
    "public ones and the user's own private ones, never someone else's private ones.",
)
def test_search_works(api, new_api):
    word = token()
    other = new_api()
    register(other)
    public = create_note(other, f"Public {word}", "hello")
    hidden = create_note(other, f"Hidden {word}", "mine", private=True)
    register(api)
    own = create_note(api, "Own private", f"body with {word}", private=True)
    response = api.get("/api/notes", params={"q": word})
    expect_status(response, 200)
    ids = {note.get("id") for note in json_body(response)}
    expect(
        public["id"] in ids and own["id"] in ids,
        f"{describe(response)}: expected the public note {public['id']} and the user's own note {own['id']}.",
        expected=sorted([public["id"], own["id"]]),
        actual=sorted(ids),
        response=response,
    )
    expect(
        hidden["id"] not in ids,
        f"{describe(response)}: another user's private note came back.",
        response=response,
    )
    page = api.get("/search", params={"q": word})
    expect_status(page, 200)
    expect(
        f"Public {word}" in page_text(page.text),
        f"{describe(page)}: the page should list «Public {word}».",
        response=page,
    )


@check(
    "A quote in the search is searched for, not run as SQL",
    points=2,
    rules=["R4.4"],
    needs=["search_works"],
    hint="Searching for O'Brien must find O'Brien's note, not break the query: the value must travel as "
    "a query parameter, never pasted into the SQL text.",
)
def test_quote_is_data(api):
    word = token()
    register(api)
    note = create_note(api, f"O'Brien's list {word}", "milk")
    for path in ("/api/notes", "/search"):
        response = api.get(path, params={"q": f"O'Brien's list {word}"})
        expect_status(response, 200)
        found = (
            note["id"] in {n.get("id") for n in json_body(response)}
            if path == "/api/notes"
            else f"O'Brien's list {word}" in page_text(response.text)
        )
        expect(
            found,
            f"{describe(response)}: the note titled «O'Brien's list {word}» was not found.",
            response=response,
        )


def _try_login_payloads(lab, attempt) -> None:
    for template in LOGIN_PAYLOADS:
        username = template.format(admin=_admin(lab))
        response, client = attempt(username)
        me = logged_in_as(client)
        expect(
            response.status_code == 401 and me is None,
            f"{describe(response)} with username {username!r} and a wrong password "
            f"answered {response.status_code}"
            + (f" and logged in as {me.get('username')!r}." if me else "."),
            expected="401 and no session",
            actual=f"{response.status_code}, session: {me}",
            response=response,
        )


@check(
    "SQL injection in the login form does not log anyone in",
    points=3,
    rules=["R5.3"],
    needs=["login_form_works"],
    hint="Look the user up by username with a query parameter, then verify the password in code. "
    "Escaping quotes by hand or refusing '--' always misses a variant.",
)
def test_form_login_injection_refused(lab, new_api):
    def attempt(username: str):
        client = new_api()
        return form_login(client, username, "wrong-password"), client

    _try_login_payloads(lab, attempt)


@check(
    "SQL injection in the JSON login does not log anyone in",
    points=3,
    rules=["R3.5"],
    needs=["api_login_works"],
    hint="The JSON login and the form must share the same safe lookup: a query parameter for the "
    "username, the password checked against the stored hash in code.",
)
def test_api_login_injection_refused(lab, new_api):
    def attempt(username: str):
        client = new_api()
        return api_login(client, username, "wrong-password"), client

    _try_login_payloads(lab, attempt)


def _victim_note(new_api) -> tuple[User, dict]:
    victim = new_api()
    user = register(victim, "victim")
    return user, create_note(victim, f"Diary {token()}", "secret plans", private=True)


@check(
    "SQL injection in the search does not reveal other users' private notes",
    points=3,
    rules=["R4.2", "R4.4"],
    needs=["search_works"],
    hint="A search for %') OR 1=1 -- must look for that text, not rewrite the WHERE clause: "
    "pass q as a parameter (and build the LIKE pattern in Python).",
)
def test_search_boolean_injection_refused(api, new_api):
    _, secret = _victim_note(new_api)
    register(api, "mallory")
    for payload in ("%') OR 1=1 --", "x%' OR 'a'='a') --", "') OR private --"):
        response = api.get("/api/notes", params={"q": payload})
        leaked = response.status_code == 200 and secret["title"] in response.text
        expect(
            not leaked,
            f"{describe(response)}: another user's private note «{secret['title']}» came back.",
            expected="no private note of another user",
            actual=secret["title"],
            response=response,
        )
        page = api.get("/search", params={"q": payload})
        expect(
            secret["title"] not in page.text,
            f"{describe(page)}: another user's private note «{secret['title']}» is on the page.",
            expected="no private note of another user",
            actual=secret["title"],
            response=page,
        )


@check(
    "SQL injection in the search cannot read the users table",
    points=3,
    rules=["R4.4"],
    needs=["search_works"],
    hint="A UNION SELECT in q must stay a string to search for. Parameters, not string formatting, "
    "put values into SQL.",
)
def test_search_union_injection_refused(api, db, lab):
    register(api, "mallory")
    row = db.execute("SELECT password_hash FROM users WHERE username = %s", (_admin(lab),)).fetchone()
    admin_hash = row[0] if row else "no admin row"
    payloads = [
        "zz%') UNION SELECT id, id, username, password_hash, false, created_at FROM users --",
        "zz%') UNION SELECT id, id, password_hash, username, false, now() FROM users --",
    ]
    for payload in payloads:
        for path in ("/api/notes", "/search"):
            response = api.get(path, params={"q": payload})
            expect(
                admin_hash not in response.text,
                f"{describe(response)}: the admin's password hash came back in the results.",
                expected="no row of the users table",
                actual=admin_hash[:20] + "…",
                response=response,
            )
            expect(
                response.status_code == 200,
                f"{describe(response)}: a search for odd text should answer 200 (found nothing), "
                f"got {response.status_code}.",
                expected="200",
                actual=str(response.status_code),
                response=response,
            )


@check(
    "Search is case-insensitive, newest first, at most 100 notes",
    points=1,
    rules=["R4.3"],
    budget=60,  # 101 notes through the API: the cap is only seen past 100
    needs=["search_works"],
    hint="GET /api/notes?q= matches title or body whatever the case (ILIKE, or lower() on both sides), "
    "orders the newest note first and stops at 100.",
)
def test_search_rules(api):
    word = token()
    register(api)
    created = [create_note(api, f"ZETA{word.upper()} {n}", "plain body")["id"] for n in range(100)]
    created.append(create_note(api, "no word in this title", f"the body says zeta{word}")["id"])
    response = api.get("/api/notes", params={"q": f"Zeta{word}"})
    expect_status(response, 200)
    ids = [note.get("id") for note in json_body(response)]
    newest = list(reversed(created))[:100]
    expect(
        ids == newest,
        f"{describe(response)}: 101 notes match (100 by title in capitals, the newest by its body); the "
        "answer should be the 100 newest, newest first.",
        expected=f"{len(newest)} ids, {newest[:3]}…",
        actual=f"{len(ids)} ids, {ids[:3]}…",
        response=response,
    )


@check(
    "% and _ in the search are searched for, not used as wildcards",
    points=2,
    rules=["R4.4"],
    needs=["search_works"],
    hint="A query parameter keeps q out of the SQL, but inside a LIKE pattern %, _ and the escape "
    "character \\ still mean something: escape them (or use strpos/position) so they match themselves.",
)
def test_like_wildcards_are_data(api):
    w = token()
    register(api)
    titles = {
        "percent": f"{w} 50% off",
        "not percent": f"{w} 50x off",
        "underscore": f"{w} a_b",
        "not underscore": f"{w} axb",
        "backslash": f"{w} c\\d",
        "not backslash": f"{w} cd",
    }
    ids = {name: create_note(api, title)["id"] for name, title in titles.items()}
    for name in ("percent", "underscore", "backslash"):
        q = titles[name].rsplit(" ", 1)[0] if name == "percent" else titles[name]
        response = api.get("/api/notes", params={"q": q})
        expect_status(response, 200)
        found = {note.get("id") for note in json_body(response)}
        expect(
            found == {ids[name]},
            f"{describe(response)}: a search for {q!r} should find only «{titles[name]}».",
            expected=[titles[name]],
            actual=sorted(title for key, title in titles.items() if ids[key] in found),
            response=response,
        )
    page = api.get("/search", params={"q": f"{w} 50%"})
    expect_status(page, 200)
    expect(
        titles["not percent"] not in page_text(page.text),
        f"{describe(page)}: the page lists «{titles['not percent']}», which does not contain «{w} 50%».",
        response=page,
    )
