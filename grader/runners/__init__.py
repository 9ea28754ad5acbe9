"""Runners start the submission's app: `local` (a confined process) and `docker` (a confined container)."""

from __future__ import annotations

from grader.runners.base import AppStartError, CommandResult, Endpoint, Runner, RunningApp, SubmissionError

__all__ = ["AppStartError", "CommandResult", "Endpoint", "Runner", "RunningApp", "SubmissionError"]
