# Its own app answers GET /greeting wrongly: only the solution's code would score.
from fastapi import FastAPI

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
