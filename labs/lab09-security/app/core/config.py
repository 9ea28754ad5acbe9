"""Settings of the app."""

import os

SECRET_KEY = "lab09-insecure-dev-key-9f2c7a1e5b"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/lab09")
ADMIN_USERNAME = os.environ.get("ADMIN_USERNAME", "admin")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "admin")
METADATA_TOKEN = os.environ.get("METADATA_TOKEN", "")
FETCH_ALLOWED_ORIGINS = os.environ.get("FETCH_ALLOWED_ORIGINS", "")
FILES_DIR = "files/public"
