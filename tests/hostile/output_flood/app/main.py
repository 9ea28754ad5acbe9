# Hundreds of megabytes of output while handling a request.
import sys

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting() -> dict:
    line = "flood " * 20000 + "\n"
    for _ in range(2500):  # about 300 MB
        sys.stdout.write(line)
    sys.stdout.flush()
    return {"greeting": "not the one"}


@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return body
