// Mailgun: the Node snippet on Mailgun's "Securing Webhooks" page, run unchanged, accepts the
// signature block pinned in src/providers/presets/mailgun.rs. mailgun.js has no verify helper.
// Run from a scratch dir: save the NodeJS code block of
// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
// (retrieved 2026-11-30) as sample/mailgun/verify.js, then
//   node <repo>/scripts/provider-vectors/mailgun.mjs sample/mailgun/verify.js
import crypto from "node:crypto";
import { check } from "./_sdk.mjs";
import { snippet } from "./_snippet.mjs";

const verify = snippet(process.argv[2], "verify");
const block = {
  signingKey: "key-mailgun-signing",
  timestamp: "1700000000",
  token: "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
  signature: "bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253",
};
check(verify(block), "docs snippet accepts the signature block");
check(!verify({ ...block, token: block.token.replace("a8ce", "b8ce") }), "altered token rejected");
check(!verify({ ...block, timestamp: "1700000001" }), "altered timestamp rejected");
check(!verify({ ...block, signingKey: "key-other" }), "other signing key rejected");

// A subaccount's event: `signature` under the subaccount's key, `parent-signature` under the
// primary account's key (the docs: "Same as signature"), which is the one configured.
const sub = crypto.createHmac("sha256", "key-subaccount").update(block.timestamp + block.token).digest("hex");
check(verify({ ...block, signingKey: "key-subaccount", signature: sub }), `subaccount signature ${sub}`);
check(!verify({ ...block, signature: sub }), "subaccount signature fails under the primary key");
check(verify(block), `parent-signature under the primary key ${block.signature}`);
