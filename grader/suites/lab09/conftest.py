"""Fixtures of the lab09 suite: clients that act like a browser, the upstream servers of the URL import."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from lab09_kit import ALLOWED_PAGE, BIG_PAGE, INTERNAL_SECRET, Upstreams, play_browser

from grader.http import Api
from grader.runners.base import RunningApp
from grader.stub import StubResponse, StubServer


@pytest.fixture(scope="session")
def upstreams(expose: Callable[[int], str]) -> Iterator[Upstreams]:
    with StubServer() as allowed, StubServer() as internal:
        allowed.route("GET", "/page.txt", lambda _: StubResponse.text(ALLOWED_PAGE))
        allowed.route("GET", "/hop", lambda _: StubResponse.redirect("/page.txt"))
        # three redirects in a row: the most the contract follows
        allowed.route("GET", "/hop3", lambda _: StubResponse.redirect("/hop2"))
        allowed.route("GET", "/hop2", lambda _: StubResponse.redirect("/hop"))
        # the page in 7 separate writes of 9941 bytes: an app's reads then end on multiples of 9941, never
        # exactly on 64 KiB, so a read loop that keeps the chunk that went past the limit always shows it
        # (sent whole, a read could end on 65536 by chance and hide the bug)
        allowed.route("GET", "/big.txt", lambda _: StubResponse.text(BIG_PAGE, trickle=0.01, pieces=7))
        allowed.route("GET", "/missing.txt", lambda _: StubResponse.text("gone", status=404))
        allowed.route("GET", "/broken.txt", lambda _: StubResponse.text("upstream trouble", status=500))
        internal.route("*", "/{path}", lambda _: StubResponse.text(INTERNAL_SECRET))
        yield Upstreams(allowed, internal, expose(allowed.port), expose(internal.port))


@pytest.fixture(scope="session")
def app_env(upstreams: Upstreams) -> dict[str, str]:
    return {"FETCH_ALLOWED_ORIGINS": upstreams.allowed_origin}


@pytest.fixture
def api(api: Api) -> Api:
    return play_browser(api)


@pytest.fixture
def new_api(new_api: Callable[..., Api]) -> Callable[..., Api]:
    def make(instance: RunningApp | None = None) -> Api:
        return play_browser(new_api(instance))

    return make
