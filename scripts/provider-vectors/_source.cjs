// Helpers for running a provider's published TypeScript/JavaScript unchanged: cut one balanced
// `{ ... }` member out of a source file, and strip TypeScript types with the `typescript`
// package (resolved from the current directory: run the scripts from a scratch dir where
// `npm i typescript@5.6.3` was done).
const fs = require('fs');
const path = require('path');

/** The text from `marker` to the brace that closes the first `{` after `bodyAfter` (which
 * itself is searched from `marker` on; default: `marker`). */
function member(file, marker, bodyAfter = marker) {
  const src = fs.readFileSync(file, 'utf8');
  const start = src.indexOf(marker);
  if (start < 0) throw new Error(`${marker} not found in ${file}`);
  let depth = 0;
  for (let i = src.indexOf('{', src.indexOf(bodyAfter, start)); i < src.length; i++) {
    if (src[i] === '{') depth++;
    if (src[i] === '}' && --depth === 0) return src.slice(start, i + 1);
  }
  throw new Error(`unbalanced ${marker} in ${file}`);
}

/** TypeScript → CommonJS JavaScript (types removed, nothing else changed). */
function transpile(code) {
  const ts = require(require.resolve('typescript', { paths: [process.cwd()] }));
  return ts.transpileModule(code, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      esModuleInterop: true,
    },
  }).outputText;
}

module.exports = { member, transpile, resolve: (...p) => path.resolve(...p) };
