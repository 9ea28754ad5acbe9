# A handler that eats memory until something stops it.
from fastapi import FastAPI

app = FastAPI()
hoard = []


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting() -> dict:
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))
        for page in range(0, len(hoard[-1]), 4096):
            hoard[-1][page] = 1


@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return body
