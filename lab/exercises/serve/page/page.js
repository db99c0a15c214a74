// The exercise page's script: polls GET /state every two seconds and shows the latest look (the tasks with ✓/✗, the
// hint, the lab's picture). Text goes in as text (textContent), never as HTML. A browser script, not a Node module.
/* global document */
"use strict";

const POLL_MS = 2000;
const byId = (id) => document.getElementById(id);
let shownPicture = null;

function show(el, text) {
  el.hidden = !text;
  el.textContent = text || "";
}

function taskItem(task) {
  const li = document.createElement("li");
  const state = task.pending !== undefined ? "pending" : task.passed ? "passed" : "failed";
  li.dataset.task = task.id;
  li.dataset.state = state;
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = { passed: "✓", failed: "✗", pending: "…" }[state];
  li.append(mark, task.title);
  const lines = task.pending !== undefined ? [`pending: ${task.pending}`] : task.found;
  if (lines.length > 0) {
    const ul = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      ul.append(item);
    }
    li.append(ul);
  }
  return li;
}

function render(state) {
  const check = state.check;
  const at = new Date(check ? check.checkedAt : state.lookedAt).toLocaleTimeString();
  byId("status").textContent = `${check ? `stack ${check.stack}, checked at ${at}` : `looked at ${at}`}${state.looking ? " · looking again…" : ""}`;
  byId("title").textContent = check ? `${check.title} (${check.exercise})` : "swarmlab";
  byId("tasks").replaceChildren(...(check ? check.tasks.map(taskItem) : []));
  show(byId("none"), check ? "" : "No exercise is started on this stack: npm run exercise lists them, npm run exercise start <name> starts one.");
  byId("done").hidden = !(check && check.done);
  const hint = check && !check.done ? check.hint : undefined;
  byId("hint").hidden = !hint;
  byId("hint-text").textContent = hint || "";
  show(byId("problem"), state.problem);
  if (state.picture !== shownPicture) {
    shownPicture = state.picture;
    const img = byId("topology");
    if (state.picture !== null) img.src = `/topology.svg?v=${state.picture}`;
    img.hidden = state.picture === null;
    byId("no-picture").hidden = state.picture !== null;
  }
}

async function poll() {
  try {
    const res = await fetch("/state", { cache: "no-store" });
    if (!res.ok) throw new Error(`the page's server answered ${res.status}: ${await res.text()}`);
    render(await res.json());
  } catch (err) {
    show(byId("problem"), `cannot reach the page's server (is npm run exercise -- --serve still running?): ${err.message}`);
  }
  setTimeout(poll, POLL_MS);
}

poll();
