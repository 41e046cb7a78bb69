"""fastapi_app.py: an ordinary FastAPI app (Debian's python3-fastapi),
unmodified for tandem's asgi worker."""
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float


@app.get("/")
async def index():
    return {"hello": "fastapi"}


@app.post("/items")
async def create(item: Item):
    return {"name": item.name, "price": item.price, "taxed": round(item.price * 1.2, 2)}


@app.get("/items/{n}")
async def read(n: int, q: str = ""):
    return {"n": n, "q": q}


@app.get("/stream")
async def stream(n: int = 3):
    async def chunks():
        for i in range(n):
            yield b"chunk %d\n" % i
    return StreamingResponse(chunks(), media_type="text/plain")


@app.websocket("/ws")
async def ws_echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            await websocket.send_json({"fastapi": data})
    except WebSocketDisconnect:
        pass
