"""Reports written safely: files never opened through a link or onto a FIFO or device, and text from the
app (messages, answers, its output) made harmless for each format before it is written."""

from __future__ import annotations

import contextlib
import html
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.results import GradeResult

# C0 and C1 controls but newline and tab: an escape sequence could clear the screen or fake a verdict
_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# what XML 1.0 cannot hold at all, even escaped
_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def terminal_text(text: str) -> str:
    return _TERMINAL.sub("", text)


def xml_text(text: str) -> str:
    return _XML.sub("", text)


def markdown_text(text: str) -> str:
    """Shown as written in GitHub's Markdown: no HTML, no emphasis or links, no table breaks."""
    return _MARKDOWN.sub(r"\\\1", html.escape(_TERMINAL.sub("", text), quote=False))


def sanitized(result: GradeResult, clean: Callable[[str], str]) -> GradeResult:
    """The result with every text in it passed through `clean` (the app reaches most of them)."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    return GradeResult.model_validate(walk(result.model_dump()))


def _refuse(path: Path, what: str) -> GraderError:
    return GraderError(
        f"{path} is {what}: a report is only written to a regular file.", "Remove it or choose another path."
    )


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def write_report(path: Path, text: str) -> None:
    """Replace `path` with `text`: written to a new file beside it and renamed over it, so a link or FIFO
    planted there is never followed or opened (and is refused with one sentence)."""
    try:
        kind = _kind(os.lstat(path).st_mode)
    except FileNotFoundError:
        kind = None
    except OSError as exc:
        raise GraderError(
            f"Cannot write {path}: {exc.strerror}.", "Choose a path you can write to."
        ) from None
    if kind is not None:
        raise _refuse(path, kind)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise GraderError(
            f"Cannot write {path}: {exc.strerror}.", "Choose a path you can write to."
        ) from None


def append_report(path: Path, text: str) -> None:
    """Add `text` at the end of `path` (GitHub's step summary): never through a link, never blocking on
    a FIFO (opened non-blocking and checked to be a regular file before a byte is written)."""
    flags = (
        os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        try:
            kind = _kind(os.lstat(path).st_mode)
        except OSError:
            kind = None
        if kind is not None:
            raise _refuse(path, kind) from None
        raise GraderError(
            f"Cannot write {path}: {exc.strerror}.", "Choose a path you can write to."
        ) from None
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise _refuse(path, kind)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "a", encoding="utf-8", closefd=False) as handle:
            handle.write(text)
    finally:
        os.close(fd)
