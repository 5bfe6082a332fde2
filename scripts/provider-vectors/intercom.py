"""Intercom webhook vector produced by Intercom's official webhook sample.

Usage: python3 intercom.py <path to python/flask/webhook_flask.py of
       github.com/intercom-archive/intercom-webhooks @ 31669eb2e986d2e79c60ed085378162c8ef94061>

(`intercom-archive` is Intercom's organisation for retired repositories; this one is "Sample code
for processing webhooks from Intercom", with the same check in node/, php/, ruby/, java/, csharp/.)
Imports the Flask sample unchanged, its hub secret "secret" included, and POSTs to its view through
Flask's test client (needs `flask`; no socket is opened). The sample prints the X-Hub-Signature it
calculates and whether it matches the header; this script prints them and fails unless the pinned
signature matches and a tampered body or another signature does not.
"""
import contextlib
import importlib.metadata
import importlib.util
import io
import re
import sys

SECRET = "secret"  # hard-coded in the sample (KEY = str("secret"))
BODY = b'{"type":"notification_event","id":"notif_ccd8a4d0","topic":"conversation.user.created"}'
SIGNATURE = "sha1=05a5b15249df66ff9179376a26612d2494a3777e"

spec = importlib.util.spec_from_file_location("webhook_flask", sys.argv[1])
sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample)
client = sample.app.test_client()


def post(body, signature):
    """The sample's printout for one delivery: (calculated signature, match)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = client.post("/", data=body, headers={"X-Hub-Signature": signature}).status_code
    text = out.getvalue()
    assert status == 200, f"sample answered {status}: {text}"
    calculated = re.search(r"Calculated: (\S+)", text).group(1)
    match = re.search(r"Match\?\s*: (\S+)", text).group(1) == "True"
    return calculated, match


print(f"flask {importlib.metadata.version('flask')}")
calculated, match = post(BODY, SIGNATURE)
print(f"hub secret: {SECRET}\nbody: {BODY.decode()}\nsample calculated X-Hub-Signature: {calculated}")
checks = {
    "pinned signature matches": match and calculated == SIGNATURE,
    "tampered body does not match": not post(b" " + BODY, SIGNATURE)[1],
    "another signature does not match": not post(BODY, "sha1=" + "0" * 40)[1],
}
for what, ok in checks.items():
    print(f"{'ok ' if ok else 'FAILED'} {what}")
sys.exit(0 if all(checks.values()) else 1)
