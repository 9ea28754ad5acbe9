"""The rules of a lab's contract: every normative sentence of the README's "The contract" carries an id.

In the README a rule is tagged where it starts, in bold brackets:

    - **[R3.2]** An access token is refused once `exp` has passed (no leeway beyond 5 s).

`R<section>.<n>` numbers the contract's subsections; a rule runs until the next tag, the end of its
list item or paragraph. Checks name the rules they prove (`@check(..., rules=["R3.2"])`); the kit's
tests require every rule to have a check and a mutant that a check catches, and `grade labNN --rules`
shows rule -> checks -> points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TAG = re.compile(r"\*\*\[(R\d+(?:\.\d+)*[a-z]?)\]\*\*")
RULE_ID = re.compile(r"^R\d+(?:\.\d+)*[a-z]?$")
CONTRACT = re.compile(r"^##\s+The contract\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Rule:
    id: str
    text: str  # the rule's sentence(s), Markdown markers removed


def _plain(text: str) -> str:
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\*\*([^*]*)\*\*|\*([^*]*)\*", lambda m: m.group(1) or m.group(2) or "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(text.split())


def contract_section(readme: str) -> str:
    """The text of "## The contract", up to the next second-level heading."""
    match = CONTRACT.search(readme)
    if match is None:
        return ""
    rest = readme[match.end() :]
    following = re.search(r"^##\s", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def parse(readme: str) -> list[Rule]:
    """The tagged rules of a README's contract, in order. A repeated id is an error (ValueError)."""
    section = contract_section(readme)
    rules: list[Rule] = []
    seen: set[str] = set()
    matches = list(TAG.finditer(section))
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(section)
        body = section[match.end() : end]
        # a rule ends with its paragraph or list item, even when no other tag follows
        stop = re.search(r"\n\s*\n|\n\s*(?:[-*+]|\d+\.)\s|\n#", body)
        text = _plain(body[: stop.start()] if stop else body)
        rule_id = match.group(1)
        if rule_id in seen:
            raise ValueError(f"rule {rule_id} is tagged twice in the contract")
        seen.add(rule_id)
        rules.append(Rule(rule_id, text))
    return rules


def load(readme: Path) -> list[Rule]:
    return parse(readme.read_text(encoding="utf-8")) if readme.is_file() else []


def problems(rules: Iterable[Rule], claimed: dict[str, Iterable[str]]) -> list[str]:
    """What is wrong between a contract's rules and the checks that claim them (check id -> rule ids):
    a rule no check proves, a check that proves no rule, a check naming a rule the contract lacks."""
    known = {rule.id for rule in rules}
    found: list[str] = []
    proven: set[str] = set()
    for check_id, ids in claimed.items():
        ids = list(ids)
        if not ids:
            found.append(f"{check_id} names no rule of the contract")
        for rule_id in ids:
            if not RULE_ID.match(rule_id):
                found.append(f"{check_id} names {rule_id!r}, which is not a rule id (R<section>.<n>)")
            elif rule_id not in known:
                found.append(f"{check_id} names {rule_id}, which the contract does not tag")
            proven.add(rule_id)
    found.extend(f"{rule.id} has no check: «{rule.text[:80]}»" for rule in rules if rule.id not in proven)
    return found
