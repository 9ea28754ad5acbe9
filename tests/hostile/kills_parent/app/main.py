# Kills or signals its parent and its parent's process group at start-up.
import os
import signal

from fastapi import FastAPI

for action in (
    lambda: os.kill(os.getppid(), signal.SIGKILL),
    lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
    lambda: os.kill(os.getppid(), signal.SIGSTOP),
):
    try:
        action()
    except OSError as exc:
        print("refused:", exc)

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
