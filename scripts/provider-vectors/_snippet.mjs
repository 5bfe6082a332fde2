// Runs a docs code snippet saved by the user (never committed) unchanged, and returns the value
// of `name` it defines. The snippet sees Node's `require` resolved from the current directory.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import vm from "node:vm";

export function snippet(file, name) {
  const context = vm.createContext({ require: createRequire(`${process.cwd()}/`), Buffer, console });
  return vm.runInContext(`${readFileSync(file, "utf8")}\n;${name}`, context, { filename: file });
}
