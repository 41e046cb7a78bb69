"""quart_app.py: an ordinary Quart app (Debian's python3-quart), unmodified
for tandem's asgi worker."""
from quart import Quart, jsonify, request, websocket

app = Quart(__name__)


@app.route("/")
async def index():
    return "quart says hi"


@app.route("/json", methods=["POST"])
async def echo_json():
    data = await request.get_json()
    return jsonify(got=data, method=request.method, scheme=request.scheme)


@app.route("/stream")
async def stream():
    n = int(request.args.get("n", "3"))

    async def chunks():
        for i in range(n):
            yield b"chunk %d\n" % i
    return chunks(), 200, {"Content-Type": "text/plain"}


@app.websocket("/ws")
async def ws_echo():
    while True:
        data = await websocket.receive()
        await websocket.send("quart: " + data)
