// Vonage: @vonage/jwt's verifySignature accepts the token pinned in src/providers/presets/vonage.rs, and
// Vonage's official sample (which also checks payload_hash) accepts the request.
// Run from a scratch dir:
//   npm install @vonage/jwt@1.14.0 jsonwebtoken@9.0.3 js-sha256@1.0.0 express@4.22.3 dotenv@18.0.10
//   mkdir -p sample/messages/signed-webhooks && git -C <Vonage/vonage-node-code-snippets checkout> \
//     show 1c4f0c9e9713c17b06b8c86fd0a1d5217cf11285:messages/signed-webhooks/verify-signed-webhook.js \
//     > sample/messages/signed-webhooks/verify-signed-webhook.js
//   node <repo>/scripts/provider-vectors/vonage.mjs sample/messages/signed-webhooks/verify-signed-webhook.js
import { sdk, version, check, sample } from "./_sdk.mjs";

const { verifySignature } = await sdk("@vonage/jwt");
const SECRET = "vonage-signature-secret";
const TOKEN =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjY3YjhjMTFlMzQ5OTFhNDU2M2RjMWE1MDY1NjQ5OTBkN2U0MWJkMmE1ZTFjNjk5NmI0MjY1NzJmYzE5YzFmOGEiLCJhcGlfa2V5IjoiYTFiMmMzZDQiLCJhcHBsaWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.hHXIwJaF-jVJus2ykxwGUG8F8iD4kVoxzBf2occbVEA";
const BODY = '{"id":"evt_1","type":"ping"}';

console.log(`@vonage/jwt@${version("@vonage/jwt")}`);
check(verifySignature(TOKEN, SECRET), "verifySignature accepts the token");
check(!verifySignature(TOKEN, "not-the-secret"), "verifySignature rejects another secret");
const [h, c, s] = TOKEN.split(".");
check(!verifySignature(`${h}.${c}.${s.slice(0, -2)}AA`, SECRET), "verifySignature rejects an altered signature");

const file = process.argv[2];
if (file) {
  const app = await sample(file, 3917, { VONAGE_API_SIGNATURE_SECRET: SECRET });
  try {
    const path = "/webhooks/inbound-message";
    const auth = { authorization: `Bearer ${TOKEN}` };
    check((await app.post(path, BODY, auth)).status === 204, "official sample: 204 for the vector");
    check((await app.post(path, BODY.replace("ping", "pong"), auth)).status === 401, "official sample: 401 for a tampered body");
  } finally {
    app.stop();
  }
} else {
  console.log("(no sample path given: the official sample's payload_hash check was not run)");
}
