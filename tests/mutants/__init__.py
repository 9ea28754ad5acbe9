"""Known-bad variants of the reference solutions.

Each lab has a module `tests/mutants/labNN.py` with a list `MUTANTS`. A mutant is a small, realistic
bug applied to a copy of `solutions/labNN-topic/` as exact text replacements; `catches` names the
checks (ids such as `resources::create_answers_201`) that must each end `failed` or `timeout` on it
(skipped does not count: a check is only shown to work when it fails by itself). `tests/test_mutants.py`
grades every mutant with just those checks, grades the solution with the same selection as a control
(every named check passes there), and requires every check and every contract rule of the lab to be
caught by some mutant.

Blind mutants (`blind=True`) were written by someone who had read only the README contract and the
reference solution, never the suite: they measure the suite. Each names the rules it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    file: str  # relative to the solution folder
    old: str  # must occur exactly once in the file
    new: str


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str  # the realistic mistake this stands for
    edits: tuple[Edit, ...]
    catches: tuple[str, ...]  # check ids that must each fail (or time out) on this mutant
    env: dict[str, str] = field(default_factory=dict)  # extra environment for grading, rarely needed
    rules: tuple[str, ...] = ()  # contract rules it breaks (required for blind mutants)
    blind: bool = False  # written without reading the suite


def mutant(
    name: str,
    why: str,
    *edits: Edit,
    catches: list[str] | tuple[str, ...],
    rules: list[str] | tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Mutant:
    return Mutant(
        name=name, why=why, edits=tuple(edits), catches=tuple(catches), rules=tuple(rules), env=env or {}
    )


def blind(
    name: str,
    why: str,
    *edits: Edit,
    catches: list[str] | tuple[str, ...],
    rules: list[str] | tuple[str, ...],
    env: dict[str, str] | None = None,
) -> Mutant:
    """A mutant written blind (README contract and solution only): `rules` says what it breaks."""
    return Mutant(
        name=name,
        why=why,
        edits=tuple(edits),
        catches=tuple(catches),
        rules=tuple(rules),
        env=env or {},
        blind=True,
    )


def replace(file: str, old: str, new: str) -> Edit:
    return Edit(file=file, old=old, new=new)
