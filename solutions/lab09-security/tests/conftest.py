"""Put the lab folder on sys.path and give the app what it needs to import in tests."""

import os
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
os.chdir(LAB)  # files/public is found from the lab folder, as when the app runs

# Test values only: the real ones come from the environment (see README, "Environment").
os.environ.setdefault("SECRET_KEY", "visible-tests-only-" + "k" * 32)
os.environ.setdefault("ADMIN_PASSWORD", "visible-tests-admin")
os.environ.setdefault("METADATA_TOKEN", "visible-tests-metadata")
os.environ.setdefault("FETCH_ALLOWED_ORIGINS", "127.0.0.1:9")
