// Discord: discord-interactions' verifyKey accepts the vectors pinned in src/providers/presets/ed25519_senders.rs.
// Run from a scratch dir: npm install discord-interactions@4.4.0 && node <repo>/scripts/provider-vectors/discord.mjs
import { sdk, version, check } from "./_sdk.mjs";

const { verifyKey } = await sdk("discord-interactions");
const PUBLIC_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const OTHER_KEY = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const TS = "1700000000";
const BODY =
  '{"type":2,"id":"1098765432109876543","application_id":"123","data":{"name":"ping"}}';
const SIG =
  "a9a73cddff93cffbe6627a5443077b9d165f901e4ba42f3d4bae8586708ccd1b891f0691cbe38a6f3297d114e60c8790f10a9a073e8c7f53c7223adb80de7a02";
const PING = '{"id":"1098765432109876540","application_id":"123","type":1,"version":1}';
const PING_SIG =
  "4b8201c646270607798515941ce0a1680b198c4100d916ae7c3cc71e95099ec6577bffa81e9a9ec522201e8de49087cc9833959049de91d08f25054a30239803";

console.log(`discord-interactions@${version("discord-interactions")}`);
check(await verifyKey(BODY, SIG, TS, PUBLIC_KEY), "command vector accepted");
check(await verifyKey(PING, PING_SIG, TS, PUBLIC_KEY), "PING vector accepted");
check(!(await verifyKey(` ${BODY}`, SIG, TS, PUBLIC_KEY)), "tampered body rejected");
check(!(await verifyKey(BODY, SIG, "1700000001", PUBLIC_KEY)), "other timestamp rejected");
check(!(await verifyKey(BODY, SIG, TS, OTHER_KEY)), "other public key rejected");
