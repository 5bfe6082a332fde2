// Twitch EventSub: Twitch's official sample twitchdev/eventsub-webhooks-node-sample (index.js,
// secret "keepItSecretKeepItSafe" hard-coded there, port 3000) accepts the requests pinned in
// src/providers/presets/twitch.rs and rejects tampered ones. Prints the vectors it checks.
// Run from a scratch dir:
//   npm install express@4.22.3 dotenv@18.0.10
//   mkdir -p sample/twitch && curl -o sample/twitch/index.js \
//     https://raw.githubusercontent.com/twitchdev/eventsub-webhooks-node-sample/6c2a8f542fe8d36d52605a7a745e99d3b86c68d3/index.js
//   node <repo>/scripts/provider-vectors/twitch.mjs sample/twitch/index.js
import crypto from "node:crypto";
import { check, sample } from "./_sdk.mjs";

const SECRET = "keepItSecretKeepItSafe";
// Message id and timestamp are the examples on dev.twitch.tv/docs/eventsub/handling-webhook-events.
const ID = "e76c6bd4-55c9-4987-8304-da1588d8988b";
const TS = "2019-11-16T10:11:12.634234626Z";
const BODY =
  '{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2"},"event":{"user_id":"1234","broadcaster_user_id":"1337"}}';
const CHALLENGE_BODY =
  '{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2"}}';
const sign = (body) => "sha256=" + crypto.createHmac("sha256", SECRET).update(ID + TS + body).digest("hex");

const app = await sample(process.argv[2], 3000, {});
try {
  const headers = (type, body) => ({
    "Twitch-Eventsub-Message-Id": ID,
    "Twitch-Eventsub-Message-Timestamp": TS,
    "Twitch-Eventsub-Message-Signature": sign(body),
    "Twitch-Eventsub-Message-Type": type,
  });
  const n = await app.post("/notification", BODY, headers("notification", BODY));
  check(n.status === 200, `notification accepted: ${sign(BODY)}`);
  const t = await app.post("/notification", ` ${BODY}`, headers("notification", BODY));
  check(t.status === 403, "tampered body rejected (403)");
  const c = await app.post("/notification", CHALLENGE_BODY, headers("webhook_callback_verification", CHALLENGE_BODY));
  check(c.status === 200 && c.text === "pogchamp-kappa-360noscope-vohiyo", `challenge echoed: ${sign(CHALLENGE_BODY)}`);
  const other = { ...headers("notification", BODY), "Twitch-Eventsub-Message-Id": "another-id" };
  check((await app.post("/notification", BODY, other)).status === 403, "other message id rejected (403)");
} finally {
  app.stop();
}
