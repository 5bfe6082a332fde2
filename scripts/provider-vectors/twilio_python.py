"""Twilio: PyPI twilio==9.13.0 `twilio.request_validator.RequestValidator` (`compute_signature`,
`validate`, `get_signature_algorithm`) makes and accepts the GET-callback and SharedKey
HMAC_SHA256 signatures pinned in src/providers/presets/twilio.rs (twilio-python has no WHATWG or
legacy-querystring rule: those come from twilio.mjs).

  python3 -m venv v && v/bin/pip install twilio==9.13.0
  v/bin/python scripts/provider-vectors/twilio_python.py
"""
from importlib.metadata import version
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator, get_signature_algorithm

FORM = "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309"
PARAMS = dict(parse_qsl(FORM))
v = RequestValidator("12345")


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok  {what}")


print(f"twilio=={version('twilio')}")
get_url = "https://mycompany.com/myapp.php?foo=1&bar=2&CallSid=CA123"
sig = v.compute_signature(get_url, {})
print(f"GET {get_url}\n  X-Twilio-Signature: {sig}")
check(v.validate(get_url, {}, sig), "GET: validate accepts the URL with no params")
check(not v.validate(get_url.replace("CA123", "CA124"), {}, sig), "GET: another query rejected")
check(not v.validate(get_url, PARAMS, sig), "GET signature with form params rejected")

algorithm = get_signature_algorithm("key=webhooks_sharedkey_test,algorithm=HMAC_SHA256")
url = "https://mycompany.com/myapp.php?foo=1&bar=2"
sig = v.compute_signature(url, PARAMS, algorithm)
print(f"SharedKey {algorithm} POST {url}\n  X-Twilio-Signature: {sig}")
check(v.validate(url, PARAMS, sig, algorithm), "SharedKey: validate accepts it")
check(v.validate("https://mycompany.com:443/myapp.php?foo=1&bar=2", PARAMS, sig, algorithm), "SharedKey: port variant accepted")
check(not v.validate(url, PARAMS, sig), "SharedKey signature rejected as HMAC_SHA1")
check(get_signature_algorithm(None) == "HMAC_SHA1", "no settings header: HMAC_SHA1")
check(not v.validate(url, PARAMS, sig, "HMAC_SHA512"), "unknown algorithm rejected")
