// The README stays short enough for a newcomer to hold in their head (issue 16, item 8), and no link of the README or
// of docs/ leads nowhere: every relative link names a file of the checkout, and every #anchor into a markdown file
// names one of its headings, by GitHub's rule for heading anchors.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const README = path.join(ROOT, "README.md");
const DOCS = path.join(ROOT, "docs");
const MAX_README_LINES = 200;

/** The README and every markdown page of docs/, as absolute paths. */
function pages(): string[] {
  const docs = existsSync(DOCS)
    ? readdirSync(DOCS)
        .filter((f) => f.endsWith(".md"))
        .sort()
    : [];
  return [README, ...docs.map((f) => path.join(DOCS, f))];
}

const rel = (file: string) => path.relative(ROOT, file);

/** The text of a page without fenced code blocks (``` or ~~~), each line kept (blank) so line numbers stay. */
function withoutFences(text: string): string[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const opens = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opens) {
      fence = opens[1][0].repeat(opens[1].length);
      return "";
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") fence = undefined;
      return "";
    }
    return line;
  });
}

/** A line without its code spans (`…`, ``…``): a link written inside one is text, not a link. */
const withoutCodeSpans = (line: string) => line.replace(/(`+)[^`]*?\1/g, "");

/**
 * GitHub's anchor for a heading: its text as shown (links and images reduced to their text, code spans to their
 * content, HTML tags dropped), lowercased, every character that is not a letter, digit, space, hyphen or underscore
 * dropped, each space made a hyphen.
 */
export function githubSlug(heading: string): string {
  const shown = heading
    .split(/(`+[^`]*?`+)/) // odd pieces are code spans: their content is shown as it is, <lab> included
    .map((piece, i) => (i % 2 === 1 ? piece.replace(/^`+|`+$/g, "") : piece.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "")))
    .join("");
  return shown
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a markdown page has: one per ATX heading, a repeated one suffixed -1, -2, … as GitHub does. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(text)) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!m) continue;
    const slug = githubSlug(m[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

interface Link {
  line: number;
  target: string;
}

/** The links of a page ([text](target), ![alt](target), [ref]: target), outside code. */
export function linksOf(text: string): Link[] {
  const links: Link[] = [];
  withoutFences(text).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    for (const m of line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      links.push({ line: i + 1, target: m[1] });
    }
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (def) links.push({ line: i + 1, target: def[1] });
  });
  return links;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** What is wrong with a relative link of `from` (undefined when it leads somewhere). */
function brokenLink(from: string, target: string): string | undefined {
  const hash = target.indexOf("#");
  const file = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const to = file === "" ? from : path.resolve(path.dirname(from), file);
  if (path.relative(ROOT, to).startsWith("..")) return "leads out of the checkout";
  if (!existsSync(to)) return `${rel(to)} does not exist`;
  if (anchor === undefined || !to.endsWith(".md")) return undefined;
  if (anchor === "") return "an empty #anchor";
  return anchorsOf(readFileSync(to, "utf8")).has(anchor) ? undefined : `${rel(to)} has no heading #${anchor}`;
}

describe("the README and docs/", () => {
  describe("GitHub's heading anchors, as the link check computes them", () => {
    it("lowercase, spaces to '-', punctuation and code marks dropped, hyphens and underscores kept", () => {
      assert.equal(githubSlug("What `npm run up` does"), "what-npm-run-up-does");
      assert.equal(githubSlug("The VM lab end to end: `npm run test:vm`"), "the-vm-lab-end-to-end-npm-run-testvm");
      assert.equal(githubSlug("What holding the lab's key means"), "what-holding-the-labs-key-means");
      assert.equal(githubSlug("`npm run clean <lab>`"), "npm-run-clean-lab");
      assert.equal(githubSlug("Node.js"), "nodejs");
      assert.equal(githubSlug("docker_gwbridge and the NAT"), "docker_gwbridge-and-the-nat");
      assert.equal(githubSlug("Settings → parts → backends"), "settings--parts--backends");
    });

    it("a repeated heading gets -1, -2; headings inside code blocks are none", () => {
      const anchors = anchorsOf("# A\n## Settings\n```sh\n# not a heading\n```\n### Settings\n#### Settings ##\n");
      assert.deepEqual([...anchors], ["a", "settings", "settings-1", "settings-2"]);
    });

    it("links inside code spans and code blocks are not links", () => {
      const links = linksOf('see [a](a.md) and `[b](b.md)`\n```\n[c](c.md)\n```\n![pic](p.svg "title")\n[ref]: r.md\n');
      assert.deepEqual(
        links.map((l) => l.target),
        ["a.md", "p.svg", "r.md"],
      );
    });
  });

  it(`README.md is at most ${MAX_README_LINES} lines: the depth lives in docs/`, () => {
    const lines = readFileSync(README, "utf8").replace(/\n+$/, "").split("\n").length;
    assert.ok(lines <= MAX_README_LINES, `README.md has ${lines} lines; move detail into a page of docs/ and link it`);
  });

  it("README.md shows the two commands a newcomer runs: npm run up and npm test", () => {
    const text = readFileSync(README, "utf8");
    const block = /```sh\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
    assert.match(block, /^npm run up\b/m, "the first code block stands the lab up");
    assert.match(block, /^npm test\b/m, "the first code block runs the tests");
  });

  it("every page of docs/ is linked from the README", () => {
    const linked = new Set(
      linksOf(readFileSync(README, "utf8"))
        .filter((l) => !isExternal(l.target))
        .map((l) => path.resolve(ROOT, decodeURIComponent(l.target.split("#")[0]))),
    );
    const orphans = pages()
      .slice(1)
      .filter((p) => !linked.has(p))
      .map(rel);
    assert.deepEqual(orphans, [], "pages of docs/ that the README does not link");
  });

  it("the lab's picture, docs/topology.svg, is still shown", () => {
    const shown = pages().some((p) =>
      linksOf(readFileSync(p, "utf8")).some(
        (l) => !isExternal(l.target) && path.resolve(path.dirname(p), l.target) === path.join(DOCS, "topology.svg"),
      ),
    );
    assert.ok(shown, "no page links docs/topology.svg");
  });

  it("every relative link of README.md and docs/*.md names an existing file, and every #anchor an existing heading", () => {
    const broken: string[] = [];
    for (const page of pages()) {
      for (const { line, target } of linksOf(readFileSync(page, "utf8"))) {
        if (isExternal(target)) continue;
        const problem = target === "" ? "an empty link" : brokenLink(page, target);
        if (problem) broken.push(`${rel(page)}:${line}: (${target}) ${problem}`);
      }
    }
    assert.deepEqual(broken, [], "links that lead nowhere");
  });
});
