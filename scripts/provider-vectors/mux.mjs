// Mux: @mux/mux-node's webhooks.verifySignature accepts the vector pinned in src/providers/presets/timestamp_list_senders.rs.
// Run from a scratch dir: npm install @mux/mux-node@15.3.0 && node <repo>/scripts/provider-vectors/mux.mjs
import { sdk, version, at, check, accepts } from "./_sdk.mjs";

const { default: Mux } = await sdk("@mux/mux-node");
const SECRET = "mux-webhook-secret";
const BODY =
  '{"type":"video.asset.ready","id":"3a56ac3d-33da-4366-855b-f592d898409d","data":{"id":"asset_1"}}';
const HEADER = "t=1700000000,v1=9a089201bb46067c12b252c5c5d393adfcec477edb7011f2eeb1ccbd0413d2bd";
const T = 1700000000_000;

console.log(`@mux/mux-node@${version("@mux/mux-node")}`);
const mux = new Mux({ tokenId: "x", tokenSecret: "x", webhookSecret: SECRET });
const verify = (body, header, now, secret = SECRET) =>
  at(now, () => accepts(() => mux.webhooks.verifySignature(body, { "mux-signature": header }, secret)));

check(await verify(BODY, HEADER, T), "vector accepted at t");
check(await verify(BODY, HEADER, T + 300_000), "accepted 300 s after t");
check(!(await verify(BODY, HEADER, T + 301_000)), "rejected 301 s after t");
check(!(await verify(` ${BODY}`, HEADER, T)), "tampered body rejected");
check(!(await verify(BODY, HEADER, T, "not-the-secret")), "wrong secret rejected");
// The SDK sets no bound on timestamps from the future (hookgate allows the same 300 s ahead).
check(await verify(BODY, HEADER, T - 3600_000), "SDK accepts t one hour ahead (no future bound)");
