"""What clients may send (strict input models) and what they get back (representations).

Input is strict on purpose: no "3" for 3, no true for 1, no field we do not know (a typo or an
attempt to set `id`), surrounding whitespace trimmed before the length limits apply.
"""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.store import Author, Book

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# [0-9], not \d: \d also matches digits of other scripts.
Isbn = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{13}$")]
Year = Annotated[int, Field(ge=1, le=2100)]
Id = Annotated[int, Field(ge=1)]


class Input(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class NoNulls(Input):
    """For PATCH: a field may be left out, but not set to null."""

    @field_validator("*", mode="before")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class AuthorIn(Input):
    name: Name


class AuthorPatch(NoNulls):
    name: Name | None = None


class BookIn(Input):
    title: Title
    isbn: Isbn
    year: Year
    author_id: Id


class BookPatch(NoNulls):
    title: Title | None = None
    isbn: Isbn | None = None
    year: Year | None = None
    author_id: Id | None = None


# Representations. model_dump(mode="json") writes aware datetimes as ISO 8601 with "Z".


class AuthorOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, author: Author) -> "AuthorOut":
        return cls.model_validate(author, from_attributes=True)


class BookV1(BaseModel):
    id: int
    title: str
    isbn: str
    year: int
    author_id: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, book: Book) -> "BookV1":
        return cls.model_validate(book, from_attributes=True)


class AuthorRef(BaseModel):
    id: int
    name: str


class BookV2(BaseModel):
    """v2's one breaking change: the author is embedded instead of referenced by `author_id`."""

    id: int
    title: str
    isbn: str
    year: int
    author: AuthorRef
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, book: Book, author: Author) -> "BookV2":
        return cls(
            id=book.id,
            title=book.title,
            isbn=book.isbn,
            year=book.year,
            author=AuthorRef(id=author.id, name=author.name),
            created_at=book.created_at,
            updated_at=book.updated_at,
        )
