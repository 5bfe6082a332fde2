// Notion vector from Notion's official SDK: @notionhq/client `signWebhookPayload` signs the body,
// and `verifyWebhookSignature` accepts it and rejects a tampered body and another token.
// Run (outside the repo): npm i @notionhq/client@5.26.0; node notion.mjs
import { signWebhookPayload, verifyWebhookSignature } from "@notionhq/client";

const verificationToken = "secret_notion_verification_token";
const body =
  '{"id":"367cba44-b6f3-4c92-81e7-6a2e9659efd4","timestamp":"2024-12-05T23:55:34.285Z","type":"page.created","entity":{"id":"153104cd-477e-809d-8dc4-ff2d96ae3090","type":"page"}}';

const signature = await signWebhookPayload({ body, verificationToken });
const ok = await verifyWebhookSignature({ body, signature, verificationToken });
const tampered = await verifyWebhookSignature({ body: " " + body, signature, verificationToken });
const wrong = await verifyWebhookSignature({ body, signature, verificationToken: "not-the-secret" });
if (!ok || tampered || wrong) throw new Error("SDK verification did not behave");
console.log(JSON.stringify({ verificationToken, "X-Notion-Signature": signature, body }));
