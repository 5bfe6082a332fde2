// X (Twitter) Account Activity vector from twitterdev's official `twitter-autohook`:
// `validateSignature(headers, { consumer_secret }, body)` accepts the fixture and rejects a
// tampered body. The fixture is the library's own test vector (twitterdev/autohook
// test/signature.js@b872e84: consumer_secret "test").
// Run (outside the repo): npm i --ignore-scripts twitter-autohook@1.7.2; node twitter.mjs
// (--ignore-scripts: its ngrok dependency downloads a binary at install, unused here.)
import autohook from "twitter-autohook";

const { validateSignature } = autohook;
const auth = { consumer_key: "test", consumer_secret: "test", token: "test", token_secret: "test" };
const body = '{"test_number":1,"test_string":"two"}';
const header = {
  "x-twitter-webhooks-signature": "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI=",
};
if (!validateSignature(header, auth, body)) throw new Error("fixture rejected");
if (validateSignature(header, auth, " " + body)) throw new Error("tampered body accepted");
console.log(JSON.stringify({ consumer_secret: auth.consumer_secret, ...header, body }));
