import yaml_that_nobody_installed  # noqa: F401
from fastapi import FastAPI

app = FastAPI()
