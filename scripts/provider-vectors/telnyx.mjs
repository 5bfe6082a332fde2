// Telnyx: the telnyx SDK's client.webhooks.unwrap (TelnyxWebhook.verify) accepts the vector pinned in src/providers/presets/ed25519_senders.rs.
// Run from a scratch dir: npm install telnyx@7.24.0 && node <repo>/scripts/provider-vectors/telnyx.mjs
import { sdk, version, at, check, accepts } from "./_sdk.mjs";

const { default: Telnyx } = await sdk("telnyx");
const PUBLIC_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const OTHER_KEY = "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=";
const BODY =
  '{"data":{"event_type":"message.received","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0","payload":{"id":"b301ed3f"}},"meta":{"attempt":1}}';
const HEADERS = {
  "telnyx-signature-ed25519":
    "NrYZwhGrUoTqsBOGOeDEws6EHpfXkeSXg6DseD6qU9Kj2cDspQxmW3qSl857NH9F1hM+d+tIJ7lzFnzqXJXvAw==",
  "telnyx-timestamp": "1700000000",
};
const T = 1700000000_000;

console.log(`telnyx@${version("telnyx")}`);
const verify = (body, now, key = PUBLIC_KEY) =>
  at(now, () => accepts(() => new Telnyx({ apiKey: "x", publicKey: key }).webhooks.unwrap(body, { headers: HEADERS })));
check(await verify(BODY, T + 100_000), "vector accepted 100 s after its timestamp");
check(await verify(BODY, T + 300_000), "accepted 300 s after");
check(!(await verify(BODY, T + 301_000)), "rejected 301 s after");
check(await verify(BODY, T - 300_000), "accepted 300 s before");
check(!(await verify(BODY, T - 301_000)), "rejected 301 s before");
check(!(await verify(` ${BODY}`, T)), "tampered body rejected");
check(!(await verify(BODY, T, OTHER_KEY)), "other public key rejected");
