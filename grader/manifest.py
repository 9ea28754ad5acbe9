"""The lab manifest, `lab.toml`: validated on load, with a message that names the bad key."""

from __future__ import annotations

import difflib
import re
import shlex
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from grader.errors import GraderError

PROCESS_NAME = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
RESERVED_NAMES = ("app", "command", "gateway")  # names the runners give their own containers
ServiceName = Literal["postgres", "redis", "rabbitmq", "mongodb"]
LabId = Annotated[str, StringConstraints(pattern=r"^lab\d\d$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_COMMAND = 500  # characters: a command is a short line, never a payload


def fill_command(command: str, host: str, port: int) -> str:
    """`command` with {host} and {port} filled in. Only those bare fields exist: str.format would also
    honour format specs ({port:>300000000}) and attribute lookups, which a submission must not reach."""
    return command.replace("{host}", host).replace("{port}", str(port))


def _check_command(command: str) -> str:
    if len(command) > MAX_COMMAND:
        raise ValueError(f"a command is at most {MAX_COMMAND} characters")
    if any(ord(ch) < 32 for ch in command):
        raise ValueError("a command is one line of printable characters")
    rest = command.replace("{host}", "").replace("{port}", "")
    if "{" in rest or "}" in rest:
        raise ValueError("the only placeholders are {host} and {port}")
    words = shlex.split(command)
    if not words or words[0] not in ("python", "python3"):
        raise ValueError(f"commands start with `python` (got {command!r})")
    return command


class ProcessSection(_Strict):
    """Another process of the submission started beside the app (a worker, a second service), with
    the app's environment. With `port` and `ready` it is ready when GET ready answers 200 on that
    port; without `ready` it is ready once it has stayed alive for its first `settle` seconds."""

    command: str = Field(description="how to start it; {host} and {port} are filled in")
    port: int | None = Field(None, ge=1, le=65535, description="the port it listens on, if it serves HTTP")
    ready: str | None = Field(None, pattern=r"^/", description="readiness probe (needs port)")
    settle: float = Field(
        1.0, gt=0, le=10, description="without `ready`: seconds it must stay alive to count as started"
    )
    env: dict[str, str] = Field(default_factory=dict, description="variables for this process only")

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        return _check_command(value)

    @model_validator(mode="after")
    def _port_for_probe(self) -> ProcessSection:
        if self.ready is not None and self.port is None:
            raise ValueError("a `ready` probe needs the `port` the process listens on")
        if "{port}" in self.command and self.port is None:
            raise ValueError("a command with {port} needs the `port` the process listens on")
        return self


class AppSection(_Strict):
    command: str = Field(description="how to start the app; {host} and {port} are filled in")
    port: int = Field(8000, ge=1, le=65535, description="the port the app listens on in its container")
    ready: str = Field("/health", pattern=r"^/", description="readiness probe: GET must answer 200")
    setup: list[str] = Field(default_factory=list, description="commands run before the app starts")
    env: dict[str, str] = Field(default_factory=dict, description="variables the contract names")

    @field_validator("command", "setup")
    @classmethod
    def _python_commands(cls, value: str | list[str]) -> str | list[str]:
        for command in [value] if isinstance(value, str) else value:
            _check_command(command)
        return value


class Limits(_Strict):
    startup: float = Field(20, gt=0, le=600, description="seconds from start to ready")
    check: float = Field(15, gt=0, le=600, description="seconds for one check")
    request: float = Field(5, gt=0, le=120, description="seconds for one HTTP request")
    total: float = Field(300, gt=0, le=3600, description="seconds for the whole suite")


class Manifest(_Strict):
    id: LabId
    slug: Slug
    title: str = Field(min_length=3)
    stage: str = Field(min_length=2, description="the roadmap stage the lab follows")
    services: list[ServiceName] = Field(default_factory=list)
    pass_mark: float = Field(80, ge=0, le=100, description="percent of the points needed to pass")
    category_minimum: float = Field(
        0, ge=0, le=100, description="percent of its points every category needs, or the run fails"
    )
    category_minimums: dict[str, float] = Field(
        default_factory=dict,
        description="per suite module: percent of its points needed, overriding category_minimum",
    )
    app: AppSection
    processes: dict[str, ProcessSection] = Field(
        default_factory=dict, description="more processes started beside the app, by name"
    )
    commands: dict[str, str] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("category_minimums")
    @classmethod
    def _percentages(cls, value: dict[str, float]) -> dict[str, float]:
        for module, minimum in value.items():
            if not 0 <= minimum <= 100:
                raise ValueError(f"category_minimums.{module} is a percentage (0-100)")
        return value

    @field_validator("processes")
    @classmethod
    def _process_names(cls, value: dict[str, ProcessSection]) -> dict[str, ProcessSection]:
        for name in value:
            if not re.match(PROCESS_NAME, name) or len(name) > 30:
                raise ValueError(
                    f"a process name is a short lowercase word, like `worker` or `mail-worker` (got {name!r})"
                )
            if name.split("-")[0] in RESERVED_NAMES:
                raise ValueError(
                    f"the process name {name!r} is taken by the grader ({', '.join(RESERVED_NAMES)})"
                )
        return value

    @field_validator("commands")
    @classmethod
    def _named_commands(cls, value: dict[str, str]) -> dict[str, str]:
        for command in value.values():
            _check_command(command)
        return value

    def minimum_for(self, module: str) -> float:
        return self.category_minimums.get(module, self.category_minimum)

    @property
    def folder_name(self) -> str:
        return f"{self.id}-{self.slug}"

    @property
    def number(self) -> int:
        return int(self.id[3:])


def _known_keys(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at `location` (all but its last part), to suggest a spelling."""
    current: type[BaseModel] | None = model
    table = False  # the part before was a table of named sections ([processes.<name>])
    for part in location[:-1]:
        if table:
            table = False
            continue
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        annotation = current.model_fields[part].annotation
        if typing.get_origin(annotation) is dict:
            annotation, table = typing.get_args(annotation)[1], True
        current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return list(current.model_fields) if current is not None else []


def _explain(
    error: ValidationError, path: Path, root: type[BaseModel] | None = None, prefix: tuple[str, ...] = ()
) -> GraderError:
    root = root or Manifest
    errors = error.errors()
    # a misspelled key also makes the right one "missing": name the misspelling first
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    location = prefix + tuple(first["loc"])
    key = ".".join(str(part) for part in location) or "(top level)"
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(location[-1]), _known_keys(root, location[len(prefix) :]), n=1)
        hint = f" Did you mean `{'.'.join([*map(str, location[:-1]), close[0]])}`?" if close else ""
        return GraderError(
            f"{path}: unknown key `{key}`.{hint}", "See docs/authoring.md for the manifest keys."
        )
    if first["type"] == "missing":
        return GraderError(
            f"{path}: the key `{key}` is missing.", "See docs/authoring.md for the manifest keys."
        )
    got = first.get("input")
    shown = f" (got {got!r})" if not isinstance(got, dict | list) else ""
    message = first["msg"].removeprefix("Value error, ")
    return GraderError(f"{path}: `{key}`: {message}{shown}.", "See docs/authoring.md for the manifest keys.")


def load_manifest(path: Path) -> Manifest:
    """Read and validate `lab.toml`; every problem becomes one GraderError sentence."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GraderError(f"{path} does not exist.", "Every lab folder has a lab.toml manifest.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path} is not valid TOML: {exc}.", "Fix the syntax and try again.") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, path) from None


def load_app_override(path: Path) -> AppSection | None:
    """The `[app]` table of a submission's own lab.toml: how to start it (never the grading policy)."""
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        app = data.get("app")
        return AppSection.model_validate(app) if isinstance(app, dict) else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise GraderError(f"{path} is not valid TOML.", "Fix the syntax and try again.") from None
    except ValidationError as exc:
        raise _explain(exc, path, AppSection, ("app",)) from None


def load_process_overrides(path: Path) -> dict[str, ProcessSection]:
    """The `[processes.<name>]` tables of a submission's own lab.toml: how it starts its processes."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise GraderError(f"{path} is not valid TOML.", "Fix the syntax and try again.") from None
    tables = data.get("processes")
    found: dict[str, ProcessSection] = {}
    for name, table in tables.items() if isinstance(tables, dict) else ():
        if not isinstance(table, dict):
            continue
        try:
            found[name] = ProcessSection.model_validate(table)
        except ValidationError as exc:
            raise _explain(exc, path, ProcessSection, ("processes", name)) from None
    return found
