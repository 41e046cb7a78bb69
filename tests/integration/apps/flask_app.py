"""flask_app.py: an ordinary Flask app, unmodified for tandem."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/")
def index():
    return "flask says hi"


@app.route("/json", methods=["POST"])
def echo_json():
    data = request.get_json()
    return jsonify(got=data, method=request.method, scheme=request.scheme)


@app.route("/item/<int:n>")
def item(n):
    return jsonify(n=n, q=request.args.get("q"))
