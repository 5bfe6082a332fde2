# Not named hubspot.py: that would shadow the SDK package it imports.
"""HubSpot v3: the signatures pinned in src/providers/presets/hubspot.rs for delivered URLs with
percent-escapes, made by PyPI hubspot-api-client==12.0.0 (`hubspot.utils.signature.Signature.
get_signature`, checked by `Signature.is_valid(..., signature_version="v3")` at the vector's
instant with freezegun==1.5.5).

The SDK signs the URI exactly as given: it decodes no escape itself (nor do @hubspot/api-client,
HubSpot/hubspot-api-php `Signature::isValid` or hubspot-api-ruby `Signature#is_valid`). HubSpot's
validating-requests docs (v3 step 3) have the receiver decode %3A %2F %3F %40 %21 %24 %27 %28 %29
%2A %2C %3B first, so the SDK is given the delivered URL after that decoding (hookgate's
`canonical_uri`), and the delivered form is shown to be a different signature.

  python3 -m venv v && v/bin/pip install hubspot-api-client==12.0.0 freezegun==1.5.5
  v/bin/python scripts/provider-vectors/hubspot_v3.py
"""
from importlib.metadata import version

from freezegun import freeze_time
from hubspot.utils.signature import Signature

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
TS = "1700000000000"
BODY = '[{"eventId":1,"subscriptionType":"contact.creation"}]'
# delivered URL -> the URL HubSpot signs (its docs' twelve escapes decoded, nothing else)
CASES = [
    (
        "https://hooks.example.com/hubspot?email=jane%40example.com",
        "https://hooks.example.com/hubspot?email=jane@example.com",
    ),
    (
        "https://hooks.example.com/hubspot?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25",
        "https://hooks.example.com/hubspot?a=:/?@!$'()*,;&b=%20%25",
    ),
]


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok  {what}")


print(f"hubspot-api-client=={version('hubspot-api-client')}")
with freeze_time("2023-11-14T22:13:21Z"):  # 1 s after TS
    for delivered, signed in CASES:
        sig = Signature.get_signature(SECRET, BODY, "v3", signed, "POST", TS)
        print(f"{delivered}\n  signed over {signed}\n  X-HubSpot-Signature-v3: {sig}")
        check(
            Signature.is_valid(sig, SECRET, BODY, signed, "POST", "v3", TS),
            "is_valid accepts it over the decoded URL",
        )
        check(
            not Signature.is_valid(sig, SECRET, BODY, delivered, "POST", "v3", TS),
            "is_valid rejects it over the URL as delivered (the SDK decodes nothing)",
        )
        check(
            not Signature.is_valid(sig, SECRET, BODY + " ", signed, "POST", "v3", TS),
            "is_valid rejects a changed body",
        )
