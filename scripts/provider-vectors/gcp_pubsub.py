#!/usr/bin/env python3
"""Pub/Sub push tokens signed and verified by Google's own auth library (google-auth).

Signs Pub/Sub-shaped OIDC tokens with google-auth's signer (google.auth.crypt.RSASigner +
google.auth.jwt.encode) using the test key google-auth publishes in its repository, derives the
JWK set the way www.googleapis.com/oauth2/v3/certs serves keys, and asks google-auth's documented
push verifier (google.oauth2.id_token.verify_oauth2_token) for its verdict on each token at fixed
instants, against both certificate formats Google serves: the v3 JWK set and the v1 {kid: PEM
certificate} map (the published public_cert.pem). Prints JSON for
src/providers/presets/testdata/gcp_pubsub_google_auth_vectors.json.

Usage: python3 gcp_pubsub.py <google-auth-library-python checkout>/tests/data > vectors.json
Needs: pip install google-auth==2.63.0 pyjwt==2.15.1 freezegun==1.5.5 (google-auth's JWK path
uses pyjwt; freezegun pins the verifier's clock to the vector's instants).
"""

import base64
import datetime
import json
import sys
from pathlib import Path

import freezegun
import google.auth
from google.auth import crypt, jwt
from google.oauth2 import id_token
from cryptography import x509

DATA = Path(sys.argv[1])
PRIVATE = (DATA / "privatekey.pem").read_bytes()
CERT = (DATA / "public_cert.pem").read_bytes()
# google-auth's tests/data/service_account.json gives this key private_key_id "1"; a Google key
# ID is a hex string, so the vector uses one of that shape.
KID = "9b1e4f2c0d3a5b6c7d8e9f00112233445566778899"
AUD = "https://hooks.example.com/pubsub"
EMAIL = "push@my-project.iam.gserviceaccount.com"
IAT = 1_800_000_000


def b64url_uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


numbers = x509.load_pem_x509_certificate(CERT).public_key().public_numbers()
JWKS = {
    "keys": [
        {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID,
         "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
    ]
}
PEMS = {KID: CERT.decode()}


class Response:
    def __init__(self, body):
        self.status = 200
        self.headers = {}
        self.data = json.dumps(body).encode()


def serving(body):
    """A google.auth.transport.Request that answers every certs URL with `body`."""
    def request(url, method="GET", **_):
        return Response(body)
    return request


def claims(**changes):
    # The claim set Pub/Sub puts in a push token (cloud.google.com/pubsub/docs/
    # authenticate-push-subscriptions: aud, azp, email, email_verified, exp, iat, iss, sub).
    c = {"aud": AUD, "azp": "113774264463038321964", "email": EMAIL, "email_verified": True,
         "exp": IAT + 3600, "iat": IAT, "iss": "https://accounts.google.com",
         "sub": "113774264463038321964"}
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


signer = crypt.RSASigner.from_string(PRIVATE, key_id=KID)
other = crypt.RSASigner.from_string(PRIVATE, key_id="not-in-the-set")


def verdict(token, at, certs):
    instant = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
    with freezegun.freeze_time(instant):
        try:
            info = id_token.verify_oauth2_token(token, serving(certs), audience=AUD)
        except Exception as e:  # google-auth / pyjwt raise several types
            return {"accepted": False, "error": f"{type(e).__name__}: {e}"[:160]}
    return {"accepted": True, "email": info.get("email"),
            "email_verified": info.get("email_verified")}


cases = [
    # Clock edges: google-auth Python allows no skew by default, its Node twin 300 s.
    ("valid", claims(), [IAT - 301, IAT - 300, IAT - 1, IAT, IAT + 10, IAT + 3600, IAT + 3601,
                         IAT + 3900, IAT + 3901]),
    ("lifetime_over_a_day", claims(exp=IAT + 86400 + 3600), [IAT + 10]),
    ("issuer_without_scheme", claims(iss="accounts.google.com"), [IAT + 10]),
    ("other_issuer", claims(iss="https://evil.example"), [IAT + 10]),
    ("wrong_audience", claims(aud="https://other.example"), [IAT + 10]),
    ("no_iat", claims(iat=None), [IAT + 10]),
    ("no_exp", claims(exp=None), [IAT + 10]),
    # google-auth does not look at email / email_verified: the Pub/Sub docs tell the receiver to
    # (see the preset); these show the signature and standard claims alone pass.
    ("other_email", claims(email="x@evil.example"), [IAT + 10]),
    ("email_unverified", claims(email_verified=False), [IAT + 10]),
]
out = {
    "source": "google-auth " + google.auth.__version__ + " (PyPI): google.auth.crypt.RSASigner + "
              "google.auth.jwt.encode sign, google.oauth2.id_token.verify_oauth2_token verifies; "
              "key: googleapis/google-auth-library-python tests/data/privatekey.pem",
    "audience": AUD, "email": EMAIL, "jwks": JWKS, "cases": [],
}
for name, c, instants in cases:
    token = jwt.encode(signer, c).decode()
    for at in instants:
        out["cases"].append({"name": name, "at": at, "token": token,
                             "jwk_set": verdict(token, at, JWKS),
                             "pem_certs": verdict(token, at, PEMS)})
token = jwt.encode(signer, claims()).decode()
unknown = jwt.encode(other, claims()).decode()
out["cases"].append({"name": "unknown_kid", "at": IAT + 10, "token": unknown,
                     "jwk_set": verdict(unknown, IAT + 10, JWKS),
                     "pem_certs": verdict(unknown, IAT + 10, PEMS)})
h, p, s = token.split(".")
tampered = ".".join([h, jwt.encode(signer, claims(email="x@evil.example")).decode().split(".")[1], s])
out["cases"].append({"name": "tampered_claims", "at": IAT + 10, "token": tampered,
                     "jwk_set": verdict(tampered, IAT + 10, JWKS),
                     "pem_certs": verdict(tampered, IAT + 10, PEMS)})
print(json.dumps(out, indent=1))
