#!/usr/bin/env python3
"""A webhook signed by Plaid itself, checked by Plaid's official Python sample verifier.

The vector: the Plaid-Verification JWT, the /webhook_verification_key/get answer for its kid
(6c5516e1-92dc-479e-a8ff-5a51992e0001, Plaid's key) and the webhook's JSON, as published in
stackoverflow.com/questions/62117400 ("Hashing Plaid request body webhook", 2020). The question
printed the body re-indented; the bytes Plaid sent (and hashed) are that JSON with keys sorted and
2-space indentation, no trailing newline, which this script confirms against the signed
request_body_sha256 claim.

Runs the sample of support.plaid.com/hc/en-us/articles/360041410794 ("Webhook verification
example", python-jose) unchanged except ENDPOINT, pointed at a local server that answers as
Plaid's key endpoint, with the clock pinned (freezegun) to each case's instant. Save that
sample as a file first (it is not committed here).

Usage: python3 plaid.py plaid_support_sample.py > plaid_vectors.json
Needs: pip install python-jose==3.5.0 requests freezegun==1.5.5
"""

import datetime
import hashlib
import http.server
import importlib.util
import json
import sys
import threading

import freezegun

TOKEN = (
    "eyJhbGciOiJFUzI1NiIsImtpZCI6IjZjNTUxNmUxLTkyZGMtNDc5ZS1hOGZmLTVhNTE5OTJlMDAwMSIsInR5cCI6IkpXVCJ9"
    ".eyJpYXQiOjE1OTA4ODcwMDEsInJlcXVlc3RfYm9keV9zaGEyNTYiOiJiNjNhMDdiNTQ3YjAwZjk5MjU0N2Y2YmJjOGQ5"
    "YWNjNjFhOGNjZWUxMzhiYzgyZjQ0YTZiYWEwOTY4M2E1ZDBmIn0"
    ".OOKvIihgqCj7Qrb2bmz7T3t7uK-0JyjiEqL2s1kWeJBM4MMmjaHKK8GmU_z91QolBWMzvPgs718EElY-rE3cwQ"
)
KEY_RESPONSE = {
    "key": {
        "alg": "ES256", "created_at": 1560466143, "crv": "P-256", "expired_at": None,
        "kid": "6c5516e1-92dc-479e-a8ff-5a51992e0001", "kty": "EC", "use": "sig",
        "x": "35lvC8uz2QrWpQJ3TUH8t9o9DURMp7ydU518RKDl20k",
        "y": "I8BuXB2bvxelzJAd7OKhd-ZwjCst05Fx47Mb_0ugros",
    },
    "request_id": "HvfCtrDLG1ihcp7",
}
FIELDS = {"error": None, "item_id": "yxQbxDjnD8hr69pKbQpbcKeVn3GL9QuyA7NV3",
          "new_transactions": 390, "webhook_code": "HISTORICAL_UPDATE",
          "webhook_type": "TRANSACTIONS"}
BODY = json.dumps(FIELDS, indent=2, sort_keys=True)
IAT = 1590887001
CLAIMED = "b63a07b547b00f992547f6bbc8d9acc61a8ccee138bc82f44a6baa09683a5d0f"
assert hashlib.sha256(BODY.encode()).hexdigest() == CLAIMED, "body bytes do not match the claim"

answer = {"status": 200, "body": KEY_RESPONSE}
requests_seen = []


class KeyEndpoint(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["content-length"])
        requests_seen.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
        data = json.dumps(answer["body"]).encode()
        self.send_response(answer["status"])
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), KeyEndpoint)
threading.Thread(target=server.serve_forever, daemon=True).start()

spec = importlib.util.spec_from_file_location("plaid_sample", sys.argv[1])
sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample)
sample.ENDPOINT = f"http://127.0.0.1:{server.server_port}/webhook_verification_key/get"


def verdict(body, at, key_response=KEY_RESPONSE, status=200, token=TOKEN):
    sample.KEY_CACHE.clear()
    answer.update(status=status, body=key_response)
    with freezegun.freeze_time(datetime.datetime.fromtimestamp(at, datetime.timezone.utc)):
        return bool(sample.verify(body, {"Plaid-Verification": token}))


expired_key = {**KEY_RESPONSE, "key": {**KEY_RESPONSE["key"], "expired_at": IAT + 86400}}
cases = [
    ("valid", BODY, IAT + 10, {}),
    ("valid_at_5_minutes", BODY, IAT + 300, {}),
    ("stale", BODY, IAT + 301, {}),
    ("issued_in_future", BODY, IAT - 600, {}),
    ("tampered_body", BODY.replace("390", "391"), IAT + 10, {}),
    ("body_with_trailing_newline", BODY + "\n", IAT + 10, {}),
    ("key_with_expired_at_set", BODY, IAT + 10, {"key_response": expired_key}),
    ("unknown_kid", BODY, IAT + 10, {"status": 400, "key_response": {
        "error_type": "INVALID_INPUT", "error_code": "INVALID_WEBHOOK_VERIFICATION_KEY_ID"}}),
]
out = {
    "source": "Plaid-signed webhook from stackoverflow.com/questions/62117400; verdicts of the "
              "Python sample of support.plaid.com/hc/en-us/articles/360041410794 (python-jose "
              "3.5.0)",
    "token": TOKEN, "key_response": KEY_RESPONSE, "body": BODY, "iat": IAT,
    "expired_key_response": expired_key, "cases": [],
}
for name, body, at, kw in cases:
    out["cases"].append({"name": name, "at": at, "body": body,
                         "plaid_python_sample": verdict(body, at, **kw)})
out["key_request_seen"] = requests_seen[0]
print(json.dumps(out, indent=1))
