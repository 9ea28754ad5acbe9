"""Settings from the environment, checked once at import: the app does not start without a real secret."""

import os
import sys


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: refusing to start")
    return value


SECRET_KEY = _required("SECRET_KEY")
if len(SECRET_KEY) < 32:
    sys.exit("SECRET_KEY is shorter than 32 characters: refusing to start")
DATABASE_URL = _required("DATABASE_URL")
ADMIN_USERNAME = os.environ.get("ADMIN_USERNAME", "admin")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "")
METADATA_TOKEN = os.environ.get("METADATA_TOKEN", "")
ALLOWED_ORIGINS = frozenset(
    item.strip().lower() for item in os.environ.get("FETCH_ALLOWED_ORIGINS", "").split(",") if item.strip()
)
FILES_DIR = os.path.abspath("files/public")
