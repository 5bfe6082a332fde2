// Linear: @linear/sdk's LinearWebhookClient.verify accepts the vector pinned in
// src/providers/presets/linear.rs and rejects what the preset rejects.
// Run from a scratch dir: npm install @linear/sdk@98.0.0 && node <repo>/scripts/provider-vectors/linear.mjs
import crypto from "node:crypto";
import { sdk, version, at, check, accepts } from "./_sdk.mjs";

const { LinearWebhookClient } = await sdk("@linear/sdk/webhooks");
const SECRET = "lin_wh_secret";
const BODY =
  '{"action":"create","type":"Issue","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","title":"Bug"},"webhookTimestamp":1700000000000,"webhookId":"000042e3-d123-4980-b49f-8e140eef9329"}';
const SIGNATURE = "e059da8eaa5a88013536fe03f746e885b71730144817b78a24b4123b38ba585e";
const TS = 1700000000000;

console.log(`@linear/sdk@${version("@linear/sdk")}`);
const client = new LinearWebhookClient(SECRET);
const verify = (body, sig, now, c = client) => at(now, () => accepts(() => c.verify(Buffer.from(body), sig)));

check(await verify(BODY, SIGNATURE, TS + 30_000), "vector accepted at webhookTimestamp + 30 s");
check(await verify(BODY, SIGNATURE, TS + 60_000), "accepted 60 s after");
check(!(await verify(BODY, SIGNATURE, TS + 60_001)), "rejected 60.001 s after");
check(await verify(BODY, SIGNATURE, TS - 60_000), "accepted 60 s before");
check(!(await verify(BODY, SIGNATURE, TS - 60_001)), "rejected 60.001 s before");
check(!(await verify(` ${BODY}`, SIGNATURE, TS)), "tampered body rejected");
check(!(await verify(BODY, SIGNATURE, TS, new LinearWebhookClient("not-the-secret"))), "wrong secret rejected");

// A correctly signed body whose webhookTimestamp is a string, or absent, is refused by the SDK.
const sign = (body) => crypto.createHmac("sha256", SECRET).update(body).digest("hex");
const asString = BODY.replace("1700000000000", '"1700000000000"');
check(!(await verify(asString, sign(asString), TS)), `string webhookTimestamp rejected (sig ${sign(asString)})`);
const none = '{"action":"create","type":"Issue"}';
check(!(await verify(none, sign(none), TS)), "missing webhookTimestamp rejected");
