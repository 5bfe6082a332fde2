// Asana: Asana's official sample Asana/devrel-examples javascript/webhooks-nodejs/index.js, run
// unchanged (port 8080, secret kept in its .env), takes the handshake below and then accepts the
// event pinned in src/providers/presets/asana.rs.
// Run from a scratch dir:
//   npm install express@4.22.3 dotenv@18.0.10
//   mkdir -p sample/asana && echo "X_HOOK_SECRET=" > sample/asana/.env && curl -o sample/asana/index.js \
//     https://raw.githubusercontent.com/Asana/devrel-examples/7f1833450aff98d52d21884d003e68f7dc5bbce4/javascript/webhooks-nodejs/index.js
//   node <repo>/scripts/provider-vectors/asana.mjs sample/asana/index.js
import { check, sample } from "./_sdk.mjs";

// The X-Hook-Secret example from developers.asana.com/reference/createwebhook.
const SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";
const BODY =
  '{"events":[{"action":"changed","resource":{"gid":"1337","resource_type":"task"}}]}';
const SIGNATURE = "ea041544664f4f2cd966d54305d61d88a66beba19a228de211ca0d50eaf4f21f";

const app = await sample(process.argv[2], 8080, {});
try {
  const res = await fetch("http://127.0.0.1:8080/receiveWebhook", {
    method: "POST",
    headers: { "X-Hook-Secret": SECRET },
  });
  check(res.status === 200 && res.headers.get("x-hook-secret") === SECRET, "handshake echoed X-Hook-Secret");
  const sig = { "X-Hook-Signature": SIGNATURE };
  check((await app.post("/receiveWebhook", BODY, sig)).status === 200, "event accepted (200)");
  const tampered = BODY.replace("1337", "1338");
  check((await app.post("/receiveWebhook", tampered, sig)).status === 401, "tampered body rejected (401)");
} finally {
  app.stop();
}
