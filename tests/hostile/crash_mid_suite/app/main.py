# Dies while handling a request.
import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting() -> dict:
    os._exit(3)


@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return body
