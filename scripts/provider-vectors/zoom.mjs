// Zoom: Zoom's official sample zoom/webhook-sample (index.js), run unchanged, accepts the requests
// pinned in src/providers/presets/zoom.rs and answers the endpoint.url_validation with the encryptedToken
// pinned there.
// Run from a scratch dir:
//   npm install express@4.22.3 dotenv@18.0.10
//   mkdir -p sample/zoom && curl -o sample/zoom/index.js \
//     https://raw.githubusercontent.com/zoom/webhook-sample/e4d48a7729dfb90234ccb6c60dd395a4be1a0e96/index.js
//   node <repo>/scripts/provider-vectors/zoom.mjs sample/zoom/index.js
import { check, sample } from "./_sdk.mjs";

const SECRET = "zoom-secret-token";
const BODY =
  '{"event":"meeting.started","payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890"}},"event_ts":1700000000123}';
const VALIDATION =
  '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1700000000123,"event":"endpoint.url_validation"}';

const app = await sample(process.argv[2], 3918, { ZOOM_WEBHOOK_SECRET_TOKEN: SECRET });
try {
  const headers = (sig) => ({ "x-zm-request-timestamp": "1700000000", "x-zm-signature": sig });
  const event = headers("v0=7ab7f0802c36d79106536e9ae220382d42fe78bbdc1ee69e9cc3fa5825a363ec");
  check((await app.post("/webhook", BODY, event)).status === 200, "event accepted (200)");
  const tampered = BODY.replace("1234567890", "1234567891");
  check((await app.post("/webhook", tampered, event)).status === 401, "tampered body rejected (401)");
  const later = { ...event, "x-zm-request-timestamp": "1700000001" };
  check((await app.post("/webhook", BODY, later)).status === 401, "other timestamp rejected (401)");
  const v = await app.post(
    "/webhook",
    VALIDATION,
    headers("v0=ba768393d94fd822a51891431be8f657ffd96defca0b2f5f74509553e4c30ff3"),
  );
  const answer = JSON.parse(v.text);
  check(v.status === 200 && answer.plainToken === "qgg8vlvZRS6UYooatFL8Aw", "url_validation accepted");
  check(
    answer.encryptedToken === "d9e0d764a78494688ba3f2d5c0ed4ca311394b4834d959759213424d2df961e3",
    `encryptedToken ${answer.encryptedToken}`,
  );
} finally {
  app.stop();
}
