"""The reference solutions and the alternative implementations never do what the labs teach against,
where reading the code can tell:

- the schema is built by migrations, never by the app at start-up: no `create_all(` outside tests and
  migrations (lab04's contract, and what lab03's solution should teach too);
- error answers carry no internals: the text of an exception the app did not write itself (a library's
  or the standard library's: `str(exc)`, `repr(exc)`, `f"{exc}"`, `exc.args`, a formatted traceback) is
  never put into a response (lab02 R5.5, lab04's error bodies, lab09's quiet errors). Exceptions of the
  app's own classes carry messages written for the client ("x is not an allowed origin") and may be
  shown; logging any exception is fine.

The second rule reads the code (Python's ast), not lines: a use counts when it sits in the arguments of
a response or error call (HTTPException, abort, JSONResponse, jsonify, ...) or in a `return`, inside an
`except ... as exc:` block or an exception handler's body.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit import ROOT

IMPLEMENTATIONS = sorted(
    [p for p in (ROOT / "solutions").glob("lab[0-9][0-9]-*") if p.is_dir()]
    + [p for p in (ROOT / "tests" / "alternatives").glob("lab[0-9][0-9]-*") if p.is_dir()]
)
SKIPPED_PARTS = {"tests", "migrations", "alembic", "__pycache__", ".venv", "venv"}

# Known defects, each being fixed on its owner's branch (issue 23): the lead empties this after merging.
# An entry that no longer fails makes the test fail too, so it cannot outlive its fix.
KNOWN_DEFECTS_TO_REMOVE_AFTER_MERGE: set[tuple[str, str]] = set()

CREATE_ALL = re.compile(r"\bcreate_all\s*\(")
# calls that build an answer for the client: an exception's text inside their arguments reaches it
SINKS = {
    "HTTPException",
    "StarletteHTTPException",
    "abort",
    "Response",
    "JSONResponse",
    "PlainTextResponse",
    "HTMLResponse",
    "ORJSONResponse",
    "ProblemResponse",
    "TemplateResponse",
    "jsonify",
    "make_response",
    "render_template",
    "problem",
    "problem_response",
}
EXCEPTION_PARAMS = {"exc", "exception", "error", "err", "ex", "e"}
TRACEBACK_CALLS = {"format_exc", "format_exception", "format_tb", "print_exc"}


def sources(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        if not SKIPPED_PARTS & set(path.relative_to(folder).parts):
            yield path


def _name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # Annotated[...] and the like: the outer name is enough here
        return _name(node.value)
    return None


def _types(node: ast.expr | None) -> list[str]:
    """The class names an `except` clause or an annotation names (`A | B`, `(A, B)`)."""
    if node is None:
        return ["BaseException"]
    if isinstance(node, ast.Tuple):
        return [name for element in node.elts for name in _types(element)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _types(node.left) + _types(node.right)
    name = _name(node)
    return [name] if name else ["?"]


def _text_of(node: ast.AST, variables: set[str], tainted: frozenset[str] = frozenset()) -> bool:
    """Whether `node` is the text of one of the exception `variables`, a formatted traceback, or a name
    `tainted` by an assignment of either."""
    if isinstance(node, ast.Name):
        return node.id in tainted
    if isinstance(node, ast.Call):
        function = _name(node.func)
        if function in ("str", "repr", "format") and node.args:
            argument = node.args[0]
            return isinstance(argument, ast.Name) and argument.id in variables
        return function in TRACEBACK_CALLS
    if isinstance(node, ast.FormattedValue):
        return isinstance(node.value, ast.Name) and node.value.id in variables
    if isinstance(node, ast.Attribute) and node.attr == "args":
        return isinstance(node.value, ast.Name) and node.value.id in variables
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "%s" % exc
        right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return any(isinstance(item, ast.Name) and item.id in variables for item in right)
    return False


def _leaks(body: list[ast.stmt], variables: set[str]) -> Iterator[int]:
    """Lines of `body` where an exception's text goes into an answer, directly or through a variable
    (`detail = f"failed: {exc}"`, then `JSONResponse({"detail": detail})`)."""
    tainted: set[str] = set()
    for _ in range(2):  # a chain of two assignments is as far as error code goes
        for statement in body:
            for node in ast.walk(statement):
                if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                    continue
                if any(_text_of(inner, variables, frozenset(tainted)) for inner in ast.walk(node.value)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        tainted |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    for statement in body:
        for node in ast.walk(statement):
            sinks: list[ast.AST] = []
            if isinstance(node, ast.Call) and _name(node.func) in SINKS:
                sinks = [*node.args, *(keyword.value for keyword in node.keywords)]
            elif isinstance(node, ast.Return) and node.value is not None:
                sinks = [node.value]
            for sink in sinks:
                if any(_text_of(inner, variables, frozenset(tainted)) for inner in ast.walk(sink)):
                    yield node.lineno
                    break


def exception_text_in_answers(path: Path, own: set[str]) -> list[int]:
    """Lines where the text of an exception the app did not write reaches a response."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            if not all(name in own for name in _types(node.type)):
                lines.update(_leaks(node.body, {node.name} if node.name else set()))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parameters = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            variables = {
                parameter.arg
                for parameter in parameters
                if (parameter.annotation is None and parameter.arg in EXCEPTION_PARAMS)
                or (
                    parameter.annotation is not None
                    and any(n.endswith(("Error", "Exception")) for n in _types(parameter.annotation))
                    and not all(n in own for n in _types(parameter.annotation))
                )
            }
            if variables:
                # the handler's own body only: nested except blocks are judged above, on their own type
                lines.update(_leaks(node.body, variables))
    return sorted(lines)


def own_classes(folder: Path) -> set[str]:
    """Exception classes (and any class) the implementation defines itself."""
    names = set()
    for path in sources(folder):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    return names


def findings(folder: Path) -> set[tuple[str, str]]:
    found = set()
    own = own_classes(folder)
    for path in sources(folder):
        where = path.relative_to(ROOT).as_posix()
        code = [line.split("#")[0] for line in path.read_text(encoding="utf-8").splitlines()]
        if any(CREATE_ALL.search(line) for line in code):
            found.add(("create_all", where))
        for number in exception_text_in_answers(path, own):
            found.add(("exception text in an answer", f"{where}:{number}"))
    return found


@pytest.mark.parametrize("folder", IMPLEMENTATIONS, ids=lambda f: f"{f.parent.name}/{f.name}")
def test_no_implementation_does_what_the_labs_teach_against(folder: Path) -> None:
    prefix = folder.relative_to(ROOT).as_posix() + "/"
    found = findings(folder)
    known = {entry for entry in KNOWN_DEFECTS_TO_REMOVE_AFTER_MERGE if entry[1].startswith(prefix)}
    new = sorted(found - known)
    assert not new, "anti-patterns the labs teach against:\n" + "\n".join(f"  {k}: {w}" for k, w in new)
    fixed = sorted(known - found)
    assert not fixed, f"fixed: remove {fixed} from KNOWN_DEFECTS_TO_REMOVE_AFTER_MERGE"


LEAKS = {
    "detail=str(exc)": """
from fastapi import HTTPException
def route():
    try:
        pass
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
""",
    "repr in an f-string": """
def route():
    try:
        pass
    except Exception as error:
        return JSONResponse({"detail": f"failed: {error!r}"}, status_code=500)
""",
    "a handler's exception": """
async def on_unexpected(request, exc: Exception):
    return problem_response(500, str(exc))
""",
    "flask abort": """
def route():
    try:
        pass
    except OSError as e:
        abort(502, "%s" % e)
""",
    "through a variable (lab05 before 4b0d0c3)": """
async def upstream_failed(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, UpstreamTimedOut):
        status, detail = 504, f"the catalog did not answer: {exc}"
    else:
        status, detail = 503, f"the catalog is unavailable: {exc}"
    return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)
""",
    "a traceback": """
import traceback
def route():
    try:
        pass
    except Exception:
        return traceback.format_exc(), 500
""",
}
QUIET = {
    "the app's own message": """
class Refused(Exception):
    pass
def route():
    try:
        pass
    except Refused as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
""",
    "logged, then a fixed answer": """
def route():
    try:
        pass
    except Exception as exc:
        log.warning("failed: %s", exc)
        return JSONResponse({"detail": "something went wrong"}, status_code=500)
""",
    "the framework's own detail": """
async def on_http_error(request, exc: StarletteHTTPException):
    return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)
""",
    "wrapped in the app's exception, not answered": """
class Down(Exception):
    pass
def call():
    try:
        pass
    except OSError as exc:
        raise Down(str(exc)) from exc
""",
}


@pytest.mark.parametrize("source", LEAKS.values(), ids=LEAKS.keys())
def test_the_check_finds_exception_text_in_answers(source: str, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(source)
    assert exception_text_in_answers(path, own={"Refused"})


@pytest.mark.parametrize("source", QUIET.values(), ids=QUIET.keys())
def test_the_check_leaves_quiet_errors_alone(source: str, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(source)
    own = {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)}
    assert not exception_text_in_answers(path, own)
