// Writes native.d.ts, the declarations of what the addon exports, from the type definitions
// napi-derive wrote while compiling src/ (NAPI_TYPE_DEF_TMP_FOLDER, set by mk/node.mk), with
// napi-rs's own generator (`napi build --dts` without its second compile).
//   node tools/native-dts.mjs <type-def folder> <output>           write it
//   node tools/native-dts.mjs <type-def folder> <output> --check   fail when <output> differs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTypeDef } from '@napi-rs/cli';

const [folder, output, mode] = process.argv.slice(2);
if (!folder || !output) {
  console.error('usage: node tools/native-dts.mjs <type-def folder> <output> [--check]');
  process.exit(2);
}
if (!existsSync(join(folder, 'refold-session-node'))) {
  console.error(`${folder} holds no type definitions of refold-session-node: build the workspace first (make build)`);
  process.exit(1);
}
const header = `// Generated from bindings-node/src by napi-rs (make generate); do not edit.
// What the native addon exports, for type-checking index.js (tsconfig.json). Not part of the
// package's public API (index.d.ts is).
/* eslint-disable */

/** What a call returns at once: \`null\` when it started (its outcome arrives through the
 * dispatcher), else why it could not start. */
export type Started = ErrorPayload | null
/** index.js's \`SessionToken\`, made by the factory given to \`createDispatcher\`. */
export type SessionTokenObject = import('./index').SessionToken
`;
const { dts } = await generateTypeDef({ typeDefDir: folder, dtsHeader: header, cwd: process.cwd() });
if (mode === '--check') {
  const committed = existsSync(output) ? readFileSync(output, 'utf8') : '';
  if (committed !== dts) {
    console.error(`${output} differs from what src/ declares: run make generate`);
    process.exit(1);
  }
  console.log(`${output}: up to date`);
} else {
  writeFileSync(output, dts);
  console.log(`wrote ${output}`);
}
