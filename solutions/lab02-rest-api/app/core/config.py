"""Settings read from the environment (names are case-insensitive: RATE_LIMIT sets rate_limit)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    rate_limit: int = Field(default=60, ge=1)  # requests a client may make per window
    rate_window_seconds: float = Field(default=60.0, gt=0)
    idempotency_ttl_seconds: float = Field(default=24 * 3600, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
