# A handler that never returns.
import threading

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting() -> dict:
    threading.Event().wait()
    return {}


@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return body
