// Loads a package installed in the current directory (the scratch dir where `npm install` ran),
// so these scripts can stay in the repository while node_modules stays out of it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const local = createRequire(`${process.cwd()}/`);

/** `import()` of `name` as resolved from the current directory. */
export async function sdk(name) {
  return import(pathToFileURL(local.resolve(name)).href);
}

/** Installed version of `name` (from its package.json). */
export function version(name) {
  const path = `${process.cwd()}/node_modules/${name}/package.json`;
  return JSON.parse(readFileSync(path, "utf8")).version;
}

/** Runs `fn` with `Date.now()` pinned to `ms` (the SDKs read the clock themselves). */
export async function at(ms, fn) {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

/** Throws unless `cond`; prints `what` when it holds. */
export function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok  ${what}`);
}

/** Whether `fn()` (sync or async) returns truthy without throwing. */
export async function accepts(fn) {
  try {
    const r = await fn();
    return r === undefined || Boolean(r);
  } catch {
    return false;
  }
}

/**
 * Starts a provider's official sample server (a file fetched by the user, never committed) with
 * `env`, waits until it listens on `port`, and returns `post(path, body, headers)` → status and
 * `stop()`. The child is killed on stop and on exit; its output is discarded.
 */
export async function sample(file, port, env) {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [file], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: String(port), ...env },
    stdio: "ignore",
  });
  const stop = () => child.exitCode === null && child.kill("SIGKILL");
  process.on("exit", stop);
  const post = async (path, body, headers = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null) {
        stop();
        throw new Error(`sample ${file} did not start: ${e}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { post, stop };
}
