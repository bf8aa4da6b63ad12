// Parse every ```mermaid block of the Markdown files given as arguments with Mermaid's own parser.
// Prints one JSON document: [{file, line, ok, error}] (line: where the block starts) and exits 1 when
// any block does not parse. Mermaid needs a DOM to load, which jsdom provides; nothing is rendered.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

function blocks(text) {
  const found = [];
  const lines = text.split("\n");
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    if (start < 0 && lines[i].trim() === "```mermaid") start = i;
    else if (start >= 0 && lines[i].trim() === "```") {
      found.push({ line: start + 1, source: lines.slice(start + 1, i).join("\n") });
      start = -1;
    }
  }
  return found;
}

const results = [];
for (const file of process.argv.slice(2)) {
  for (const block of blocks(readFileSync(file, "utf8"))) {
    try {
      await mermaid.parse(block.source);
      results.push({ file, line: block.line, ok: true, error: null });
    } catch (error) {
      results.push({ file, line: block.line, ok: false, error: String(error.message ?? error) });
    }
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
process.exit(results.every((r) => r.ok) ? 0 : 1);
