'use strict';
// Prints one trace as a tree, indented by parent, from the spans a ConsoleSpanExporter wrote
// (util.inspect objects, one per span) in the log file argv[2]: the trace of id argv[3], under a
// root line argv[4] for the caller that started it (the page). Used by scripts/demo-web.sh.

const fs = require('node:fs');

const [log, traceId, rootName] = process.argv.slice(2);
const spans = [];
// Each exported span is an object printed from column 0: `{` … `}`.
for (const block of fs.readFileSync(log, 'utf8').split(/^\{$/m).slice(1)) {
  const text = block.slice(0, block.search(/^\}$/m));
  const field = (pattern) => pattern.exec(text)?.[1];
  if (field(/^ {2}traceId: '([0-9a-f]{32})'/m) !== traceId) continue;
  spans.push({
    name: field(/^ {2}name: '(.*)',?$/m),
    id: field(/^ {2}id: '([0-9a-f]{16})'/m),
    parent: field(/^ {2}parentSpanContext: \{[^}]*?spanId: '([0-9a-f]{16})'/ms),
    start: Number(field(/^ {2}timestamp: (\d+)/m) ?? 0),
    durationUs: Number(field(/^ {2}duration: ([\d.]+)/m) ?? 0),
  });
}
const ids = new Set(spans.map((span) => span.id));
const children = (parent) =>
  spans.filter((span) => (ids.has(span.parent) ? span.parent : undefined) === parent).sort((a, b) => a.start - b.start);
function print(parent, depth) {
  for (const span of children(parent)) {
    console.log(`  ${'  '.repeat(depth)}${span.name}  (${(span.durationUs / 1000).toFixed(1)} ms)`);
    print(span.id, depth + 1);
  }
}
console.log(`  ${rootName}  (trace ${traceId})`);
print(undefined, 1);
if (spans.length === 0) process.exitCode = 1;
