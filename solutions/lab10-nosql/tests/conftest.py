"""Run the app in-process: put the lab folder on sys.path; MONGODB_URL must come from you."""

import sys
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
