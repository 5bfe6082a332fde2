"""Dropbox webhook vector checked by Dropbox's official webhook sample (dropbox/mdwebhook).

Usage: python3 dropbox.py <path to app.py of github.com/dropbox/mdwebhook>

Runs the sample's `webhook()` (POST) and `challenge()` (GET) view functions unchanged, taken out of
app.py with `ast`; Flask's request/abort/Response and the per-account worker are stand-ins.
"""
import ast
import hmac
import json
import sys
from hashlib import sha256

SECRET = "dropbox-app-secret"
BODY = b'{"list_folder":{"accounts":["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]},"delta":{"users":[12345678]}}'
SIGNATURE = "450ef9f57aef4016f16da031b9d4597c8f4672296e2d3b8d98fd21af6db3fd6a"


class Aborted(Exception):
    pass


def abort(code):
    raise Aborted(code)


class Request:
    def __init__(self, data=b"", headers=None, args=None):
        self.data, self.headers, self.args = data, headers or {}, args or {}


class Response:
    def __init__(self, body):
        self.body, self.headers = body, {}


class NoThread:
    def __init__(self, target, args):
        pass

    def start(self):
        pass


tree = ast.parse(open(sys.argv[1]).read())
funcs = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name in ("webhook", "challenge")]
for f in funcs:
    f.decorator_list = []
scope = {
    "hmac": hmac, "sha256": sha256, "json": json, "abort": abort, "Response": Response,
    "APP_SECRET": SECRET, "threading": type("T", (), {"Thread": NoThread}), "process_user": None,
}
exec(compile(ast.Module(body=funcs, type_ignores=[]), sys.argv[1], "exec"), scope)


def post(body):
    scope["request"] = Request(body, {"X-Dropbox-Signature": SIGNATURE})
    try:
        scope["webhook"]()
        return 200
    except Aborted as e:
        return e.args[0]


scope["request"] = Request(args={"challenge": "abc 123"})
answer = scope["challenge"]()
print(f"app secret: {SECRET}\nbody: {BODY.decode()}\nX-Dropbox-Signature: {SIGNATURE}")
print(f"sample answers {post(BODY)} to the vector, {post(b' ' + BODY)} to a tampered body")
print(f"challenge answer: {answer.body!r} {answer.headers}")
sys.exit(0 if post(BODY) == 200 and post(b" " + BODY) == 403 else 1)
