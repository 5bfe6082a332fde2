#!/usr/bin/env python3
"""Generates the signed request bodies the load uses.

small: a ~1.5 KiB JSON event template with a unique "id" per request; the wrk script builds
       body = prefix .. id .. suffix, and small_sigs.txt holds "<id> <hex hmac-sha256>" per line
       (wrk's LuaJIT has no HMAC, so every signature is precomputed here).
16k / 64k / 100k / 1m: one fixed body each, with its signature.
"""
import hashlib
import hmac
import os
import sys

out, secret, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
key = secret


def event(id_placeholder, size):
    head = '{"id":"' + id_placeholder + '","type":"payment_intent.succeeded","created":1700000000,' \
           '"livemode":false,"data":{"object":{"object":"payment_intent","amount":2000,' \
           '"currency":"usd","status":"succeeded","description":"'
    tail = '"}}}'
    pad = size - len(head) - len(tail)
    filler = ("lorem ipsum dolor sit amet " * (pad // 27 + 1))[:pad]
    return head + filler + tail


ID_LEN = len("evt_0000000000000000")
tmpl = event("\0" * ID_LEN, 1536)
prefix, suffix = tmpl.split("\0" * ID_LEN)
with open(os.path.join(out, "small_prefix.txt"), "w") as f:
    f.write(prefix)
with open(os.path.join(out, "small_suffix.txt"), "w") as f:
    f.write(suffix)
p, s = prefix.encode(), suffix.encode()
base = hmac.new(key, digestmod=hashlib.sha256)
base.update(p)
with open(os.path.join(out, "small_sigs.txt"), "w") as f:
    for i in range(n):
        eid = "evt_%016d" % i
        h = base.copy()
        h.update(eid.encode())
        h.update(s)
        f.write("%s %s\n" % (eid, h.hexdigest()))

for name, size in (("16k", 16 * 1024), ("64k", 64 * 1024), ("100k", 100 * 1024), ("1m", 1024 * 1024)):
    body = event("evt_big_%s_0000000001" % name, size).encode()
    with open(os.path.join(out, "body_%s.json" % name), "wb") as f:
        f.write(body)
    with open(os.path.join(out, "body_%s.sig" % name), "w") as f:
        f.write(hmac.new(key, body, hashlib.sha256).hexdigest())
print("generated %d signed small bodies (%d bytes each) in %s" % (n, len(tmpl), out))
