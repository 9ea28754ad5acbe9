# Ignores the port it was given and serves on one of its own choosing.
import threading

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


server = threading.Thread(
    target=uvicorn.run, args=(app,), kwargs={"host": "127.0.0.1", "port": 0}, daemon=True
)
server.start()
server.join()  # the import never finishes, so `uvicorn --port <the given port>` never listens
