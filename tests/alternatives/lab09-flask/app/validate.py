"""Input rules of the contract, as plain functions returning an error message or None."""

import re

USERNAME = re.compile(r"[a-z0-9_]{3,32}")


def account(username: object, password: object) -> str | None:
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        return "the username is 3 to 32 characters of a-z, 0-9 and _"
    if not isinstance(password, str) or not 8 <= len(password) <= 128:
        return "the password has 8 to 128 characters"
    return None


def profile(display_name: object, bio: object, website: object) -> str | None:
    if display_name is not None and (not isinstance(display_name, str) or len(display_name) > 50):
        return "display_name: at most 50 characters"
    if bio is not None and (not isinstance(bio, str) or len(bio) > 500):
        return "bio: at most 500 characters"
    if website is not None:
        if not isinstance(website, str) or len(website) > 200:
            return "website: at most 200 characters"
        if website and not website.lower().startswith(("http://", "https://")):
            return "website: an http:// or https:// URL"
    return None
