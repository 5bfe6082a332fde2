// Contentful request verification vectors from the official SDK, @contentful/node-apps-toolkit
// (signRequest / verifyRequest). Not run by CI (needs the npm package); the printed values are
// pinned in src/providers/presets/contentful.rs.
//
//   mkdir -p /tmp/pv && cd /tmp/pv && npm install @contentful/node-apps-toolkit@3.16.1
//   NODE_PATH=/tmp/pv/node_modules node scripts/provider-vectors/contentful.mjs
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

const require = createRequire(path.join(process.env.NODE_PATH ?? process.cwd(), 'x.js'))
const { signRequest, verifyRequest } = require('@contentful/node-apps-toolkit')
const pkgDir = path.join(process.env.NODE_PATH ?? 'node_modules', '@contentful/node-apps-toolkit')
const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))

// The example signing secret of Contentful's "Create a webhook signing secret" API reference.
const SECRET = 'qlfkupAwYA4ZkNnmBzmNypFqSRWOwhpGRFwQFn5iPNAGHSYdvwed1C77n0Eiaz19'
const T = 1700000000000

const cases = {
  // A webhook call: JSON body, a query string, three signed headers, one unsigned header.
  webhook: {
    method: 'POST',
    path: '/webhooks/contentful?env=master&topic=Entry.publish',
    headers: {
      'Content-Type': 'application/vnd.contentful.management.v1+json',
      'X-Contentful-Topic': 'ContentManagement.Entry.publish',
      'X-Contentful-Webhook-Name': 'hookgate',
    },
    unsigned: { 'User-Agent': 'Contentful-Webhooks/1.0' },
    body: '{"sys":{"type":"Entry","id":"5KsDBWseXY6QegucYAoacS"},"fields":{"title":{"en-US":"Hello"}}}',
  },
  // No extra signed header (only the two the SDK always adds), no body, escapes in the path and
  // query, and a second '?' (the SDK signs only what is between the first and the second).
  bare: {
    method: 'DELETE',
    path: "/hooks/caf%C3%A9/it's(1)?q=a%20b+c&n=1?dropped",
    headers: {},
    unsigned: {},
    body: undefined,
  },
}

const out = { package: `@contentful/node-apps-toolkit@${version}`, secret: SECRET, timestamp: T }
for (const [name, c] of Object.entries(cases)) {
  const req = { method: c.method, path: c.path, headers: c.headers, body: c.body }
  const signed = signRequest(SECRET, req, T)
  const incoming = { ...req, headers: { ...c.headers, ...c.unsigned, ...signed } }
  const realNow = Date.now
  const at = (now, ttl) => {
    Date.now = () => now
    try {
      return verifyRequest(SECRET, incoming, ttl)
    } catch (e) {
      return e.constructor.name
    } finally {
      Date.now = realNow
    }
  }
  const tampered = { ...incoming, body: ' ' + (c.body ?? '') }
  out[name] = {
    request: incoming,
    signed,
    verify_at_t: at(T, undefined),
    verify_at_t_plus_29999ms: at(T + 29999, undefined),
    verify_at_t_plus_30000ms: at(T + 30000, undefined),
    verify_ahead_one_hour: at(T - 3600000, undefined),
    verify_tampered_body: verifyRequest(SECRET, tampered, 0),
    verify_other_secret: verifyRequest('b'.repeat(64), incoming, 0),
    verify_other_path: verifyRequest(SECRET, { ...incoming, path: c.path.replace('?', '/?') }, 0),
    verify_path_cut_at_second_question_mark: verifyRequest(
      SECRET,
      { ...incoming, path: c.path.split('?').slice(0, 2).join('?') },
      0,
    ),
  }
}
console.log(JSON.stringify(out, null, 2))
