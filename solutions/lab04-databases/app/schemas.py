"""What the API accepts and answers (the contract's JSON shapes)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_ID = 2_147_483_647  # ids are PostgreSQL integers
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


class AuthorIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class AuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class TagIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=50)]


class TagOut(AuthorOut):
    pass


class BookIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=300)]
    isbn: Annotated[str, Field(min_length=1, max_length=20)]
    author_id: DbId
    published_year: Annotated[int, Field(ge=1, le=9999)] | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = []


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    isbn: str
    published_year: int | None
    author: AuthorOut
    tags: list[str]

    @field_validator("tags", mode="before")
    @classmethod
    def tag_names(cls, value: list[object]) -> list[str]:
        return sorted(str(getattr(tag, "name", tag)) for tag in value)


class ReviewIn(BaseModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    body: Annotated[str, Field(max_length=2000)] = ""


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    book_id: int
    rating: int
    body: str
    created_at: datetime


class WarehouseIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class WarehouseOut(AuthorOut):
    pass


class StockIn(BaseModel):
    quantity: Annotated[int, Field(ge=0, le=1_000_000_000)]


class StockOut(BaseModel):
    warehouse_id: int
    book_id: int
    quantity: int


class TransferIn(BaseModel):
    book_id: DbId
    from_warehouse_id: DbId
    to_warehouse_id: DbId
    quantity: Annotated[int, Field(ge=1, le=1_000_000_000)]

    @model_validator(mode="after")
    def distinct_warehouses(self) -> "TransferIn":
        if self.from_warehouse_id == self.to_warehouse_id:
            raise ValueError("from_warehouse_id and to_warehouse_id must differ")
        return self


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    book_id: int
    from_warehouse_id: int
    to_warehouse_id: int
    quantity: int
    created_at: datetime


class BookPage(BaseModel):
    items: list[BookOut]
    next_cursor: str | None


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None
