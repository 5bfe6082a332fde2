// AWS SNS: AWS's JavaScript validator, npm `sns-validator@0.3.5` (aws/aws-js-sns-message-validator,
// author Amazon Web Services), checks the SignatureVersion 2 messages pinned in
// src/providers/presets/aws_sns.rs. It fetches SigningCertURL with `https.get` and has no client hook,
// so that one function is answered locally with the test certificate; its URL check, string to
// sign and crypto.createVerify run as shipped.
// Run from a scratch dir: npm i sns-validator@0.3.5 && node <repo>/scripts/provider-vectors/aws_sns.mjs <repo>/src/providers/presets/testdata
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PassThrough } from "node:stream";
import { sdk, version, check } from "./_sdk.mjs";

const data = process.argv[2];
if (!data) throw new Error("usage: node aws_sns.mjs <repo>/src/providers/presets/testdata");
const CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";
const cert = readFileSync(`${data}/sns_openssl_test_cert.pem`, "utf8");

// The validator's `require("https")` is this same module object.
const https = createRequire(import.meta.url)("node:https");
const fetched = [];
https.get = (url, cb) => {
  fetched.push(String(url));
  const res = new PassThrough();
  res.statusCode = String(url) === CERT_URL ? 200 : 404;
  process.nextTick(() => {
    cb(res);
    res.end(res.statusCode === 200 ? cert : "");
  });
  return { on: () => undefined };
};

const MessageValidator = (await sdk("sns-validator")).default;
const validator = new MessageValidator();
const accepts = (m) =>
  new Promise((resolve) => validator.validate(JSON.stringify(m), (err) => resolve(!err)));

console.log(`sns-validator@${version("sns-validator")}`);
for (const [name, file] of [
  ["notification", "sns_openssl_v2_notification.json"],
  ["subscription confirmation", "sns_openssl_v2_subscription_confirmation.json"],
]) {
  const m = JSON.parse(readFileSync(`${data}/${file}`, "utf8"));
  check(m.SignatureVersion === "2", `${name} is SignatureVersion 2`);
  check(await accepts(m), `${name} accepted`);
  check(!(await accepts({ ...m, Message: `${m.Message} ` })), `${name} with a changed Message rejected`);
  check(
    !(await accepts({ ...m, TopicArn: "arn:aws:sns:us-east-1:123456789012:other" })),
    `${name} with another TopicArn rejected`,
  );
  check(!(await accepts({ ...m, SignatureVersion: "1" })), `${name} presented as SignatureVersion 1 rejected`);
  if (m.Token) check(!(await accepts({ ...m, Token: "0" })), `${name} with another Token rejected`);
}
check(fetched.includes(CERT_URL), "the certificate was requested from SigningCertURL");
