"""Settings, read from the environment once at import: a missing or weak secret stops the app."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    # No default on purpose: an app that falls back to a known key signs sessions anyone can forge.
    secret_key: str = Field(min_length=32)
    database_url: str
    admin_username: str = "admin"
    admin_password: str | None = None
    metadata_token: str = ""
    # Comma-separated host:port pairs the URL import may fetch from; nothing else is ever fetched.
    fetch_allowed_origins: str = ""
    files_dir: Path = Path("files/public")

    @property
    def allowed_origins(self) -> frozenset[str]:
        items = self.fetch_allowed_origins.split(",")
        return frozenset(item.strip().lower() for item in items if item.strip())


# The values come from the environment, which mypy cannot see: a missing one stops the app right here.
settings = Settings()  # type: ignore[call-arg]
