// Polar vectors, checked by Polar's own SDK.
//
// Signs one event two ways and has @polar-sh/sdk's `webhooks.validateEvent` (the 2026-10 API
// version export) accept both and reject a tampered body:
//   1. as Polar's server signs (polarsource/polar server/polar/webhook/tasks.py@c6c3645:
//      `StandardWebhook(base64(secret.encode("utf-8"))).sign(...)`, i.e. HMAC key = the UTF-8
//      bytes of the whole secret, `whsec_` included);
//   2. with the Standard Webhooks key (base64-decode of the part after `whsec_`), which the SDK
//      accepts too ("Verification accepts Polar's original HMAC key ... and the Standard
//      Webhooks key", @polar-sh/sdk 1.0.1 README).
// Run (outside the repo): npm i @polar-sh/sdk@1.0.1 standardwebhooks@1.1.1; node polar.mjs
import { Webhook } from "standardwebhooks";
import { webhooks } from "@polar-sh/sdk/2026-10";

// The example secret printed in Polar's own API schema (server/polar/webhook/schemas.py).
const secret = "whsec_ovyN6cPrTv56AApvzCaJno08SSmGJmgbWilb33N2JuK";
const id = "msg_2Lj0xKZ5V3J6q1";
const ts = 1700000000;
const body =
  '{"type":"order.created","timestamp":"2023-11-14T22:13:20Z","data":{"id":"ord_1"}}';

// validateEvent checks the timestamp against the clock: verify at the signing instant.
Date.now = () => ts * 1000;

const serverKey = new Webhook(Buffer.from(secret, "utf8").toString("base64"));
const standardKey = new Webhook(secret);
const at = new Date(ts * 1000);

for (const [name, wh] of [["polar-server-key", serverKey], ["standard-webhooks-key", standardKey]]) {
  const signature = wh.sign(id, at, body);
  const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature };
  const event = await webhooks.validateEvent(body, headers, secret);
  if (event.type !== "order.created") throw new Error("unexpected event");
  let tamperedRejected = false;
  try {
    await webhooks.validateEvent(" " + body, headers, secret);
  } catch (e) {
    tamperedRejected = e instanceof webhooks.PolarWebhookVerificationError;
  }
  if (!tamperedRejected) throw new Error("tampered body accepted");
  // The SDK's window: 300 s each way (webhookToleranceSeconds).
  for (const now of [ts + 301, ts - 301]) {
    Date.now = () => now * 1000;
    let rejected = false;
    try {
      await webhooks.validateEvent(body, headers, secret);
    } catch (e) {
      rejected = e instanceof webhooks.PolarWebhookVerificationError;
    }
    if (!rejected) throw new Error(`accepted at ${now}`);
  }
  Date.now = () => ts * 1000;
  console.log(JSON.stringify({ name, secret, headers, body, sdk: "accepted; tampered, +301 s and -301 s rejected" }));
}
