"""Persona webhook vectors from Persona's own sample code.

Persona publishes no server SDK and no signed example. Its docs ("Webhook best practices" >
"Checking signatures", docs.withpersona.com/docs/webhooks-best-practices) give a Python sample;
its two lines are used below unchanged except that `request.headers[...]` / `request.data` /
`<YOUR_WEBHOOK_SECRET>` are the function's arguments. The digest the sample computes is the
`v1` of the vector, and the sample must accept the header built from it. Rotation (two
space-separated `t=...,v1=...` groups, per the same page) has no published code: each group's v1
is the sample's digest with that group's secret.

Not run by CI; the printed values are pinned in src/providers/presets/persona.rs.
    python3 scripts/provider-vectors/persona.py
"""

import hashlib  # noqa: F401  (the sample names 'sha256' as a string)
import hmac
import json


def docs_sample_verify(persona_signature, data, webhook_secret):
    # --- Persona docs sample (Python), unchanged but for the three names above ---
    t, v1 = [value.split('=')[1] for value in persona_signature.split(',')]
    computed_digest = hmac.new(webhook_secret.encode(), (t + '.' + data.decode('utf-8')).encode(), 'sha256').hexdigest()

    if hmac.compare_digest(v1, computed_digest):
        return True
    # --- end of sample ---
    return False


def docs_sample_digest(t, data, webhook_secret):
    return hmac.new(webhook_secret.encode(), (t + '.' + data.decode('utf-8')).encode(), 'sha256').hexdigest()


SECRET = 'wbhsec_4d8b1c2e-7f3a-4e2b-9a6c-hookgate000001'
OLD_SECRET = 'wbhsec_0a1b2c3d-4e5f-4a6b-8c7d-hookgate000000'
T = '1700000000'
BODY = (
    b'{"data":{"type":"event","id":"evt_AbCdEf123456","attributes":{"name":"inquiry.completed",'
    b'"payload":{"data":{"type":"inquiry","id":"inq_XyZ789","attributes":{"status":"completed"}}},'
    b'"created-at":"2023-11-14T22:13:19.000Z"}}}'
)

v1 = docs_sample_digest(T, BODY, SECRET)
header = f't={T},v1={v1}'
old_v1 = docs_sample_digest(T, BODY, OLD_SECRET)
rotating = f't={T},v1={old_v1} t={T},v1={v1}'
print(json.dumps({
    'source': 'docs.withpersona.com/docs/webhooks-best-practices (Python sample)',
    'secret': SECRET,
    'old_secret': OLD_SECRET,
    'body': BODY.decode(),
    'persona_signature': header,
    'rotating_persona_signature': rotating,
    'sample_accepts': docs_sample_verify(header, BODY, SECRET),
    'sample_rejects_tampered_body': not docs_sample_verify(header, b' ' + BODY, SECRET),
    'sample_rejects_other_secret': not docs_sample_verify(header, BODY, OLD_SECRET),
    'sample_accepts_old_secret_group': docs_sample_verify(f't={T},v1={old_v1}', BODY, OLD_SECRET),
}, indent=2))
