"""Errors that end a grading run with one clear sentence (exit code 2: the grader could not grade)."""

from __future__ import annotations


class GraderError(Exception):
    """Something outside the submission stopped grading: a bad lab id, a broken manifest, a missing tool.

    `message` is one sentence that says what is wrong; `suggestion` says what to do about it.
    """

    exit_code = 2

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        return self.message if not self.suggestion else f"{self.message} {self.suggestion}"
