"""Failures that share one root cause, found from the result alone (every report can use them).

Two failed checks share a cause when the same request (method and path) was answered the same way
(status line), or when the plugin recorded the same `cause`; a skipped check belongs to the failure
of the prerequisite it waited for (followed through chains of skips).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.results import CheckResult

FAILING = ("failed", "timeout", "error")
_NEEDS = re.compile(r"^not run: it needs «(.+)», which did not pass")
_STOPPED = re.compile(r"^not run: the app stopped during «(.+)»")
_METHOD = re.compile(r"(?:^|\s)(?:-X\s+(\w+)|(-I))(?=\s)")
_URL = re.compile(r"'?(https?://[^\s']+)'?")


@dataclass
class Cause:
    """One root cause: the check that shows it, the checks failing the same way, the checks it holds up."""

    first: CheckResult
    same: list[CheckResult] = field(default_factory=list)  # failed the same way (after `first`)
    held: list[CheckResult] = field(default_factory=list)  # skipped because one of these failed

    @property
    def checks(self) -> list[CheckResult]:
        return [self.first, *self.same, *self.held]

    @property
    def lost(self) -> float:
        return sum(check.max_points - check.points for check in self.checks if not check.extra)


def signature(check: CheckResult) -> tuple[str, ...] | None:
    """What makes two failures the same: the plugin's cause, else the request and its answer's status."""
    if check.cause:
        return ("cause", check.cause)
    if not check.request or not check.response:
        return None
    found = _URL.search(check.request)
    if found is None:
        return None
    method = _METHOD.search(check.request)
    verb = "GET" if method is None else (method.group(1) or "HEAD")
    path = re.sub(r"^https?://[^/]+", "", found.group(1)).split("?")[0]
    status = check.response.split("  ")[0]
    return ("request", verb.upper(), path, status)


def root_causes(checks: list[CheckResult]) -> tuple[list[Cause], list[CheckResult]]:
    """(causes in report order, skipped checks whose prerequisite is not a failure: time, a stopped app)."""
    by_title = {check.title: check for check in checks}
    causes: list[Cause] = []
    owner: dict[str, Cause] = {}  # check id -> its cause
    keyed: dict[tuple[str, ...], Cause] = {}
    for check in checks:
        if check.outcome not in FAILING:
            continue
        key = signature(check)
        if key is not None and key in keyed:
            keyed[key].same.append(check)
            owner[check.id] = keyed[key]
            continue
        cause = Cause(first=check)
        causes.append(cause)
        owner[check.id] = cause
        if key is not None:
            keyed[key] = cause
    loose: list[CheckResult] = []
    for check in checks:
        if check.outcome != "skipped":
            continue
        root = _prerequisite(check, by_title)
        if root is not None and root.id in owner:
            owner[root.id].held.append(check)
        else:
            loose.append(check)
    return causes, loose


def _prerequisite(check: CheckResult, by_title: dict[str, CheckResult]) -> CheckResult | None:
    """The failed check a skipped one waited for, through skipped prerequisites of its own."""
    seen: set[str] = set()
    current = check
    while current.outcome == "skipped" and current.id not in seen:
        seen.add(current.id)
        message = current.message or ""
        found = _NEEDS.match(message) or _STOPPED.match(message)
        if found is None or found.group(1) not in by_title:
            return None
        current = by_title[found.group(1)]
    return current if current.outcome in FAILING else None


def replay_note(check: CheckResult) -> str | None:
    """The sentence before the requests a replay needs first: what they created, and that ids differ."""
    if not check.replay_first:
        return None
    what = check.replay_uses or "what they created"
    many = len(check.replay_first) > 1
    if many:
        return (
            f"The replay uses {what}, which the grader's earlier requests created or changed: run them "
            "first, in this order (your app may answer other ids: use yours)."
        )
    return (
        f"The replay uses {what}, created by the grader's earlier request: run it first (your app may "
        "answer another id: use yours)."
    )
