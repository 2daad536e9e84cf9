// The trainer page: masked conversations from /staff/api/trainer/conversations, and "加为例句"
// posting {intent, text} to /staff/api/trainer/example, and "存为测试"/"存为训练故事" posting
// {sender, kind, relabel} to /staff/api/trainer/story (CSRF token from the page).
"use strict";
const csrfToken = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  children.forEach((c) => node.append(c));
  return node;
}

async function loadIntents() {
  const res = await fetch("/staff/api/trainer/intents", { headers: { Accept: "application/json" } });
  const list = $("#intent-names");
  ((await res.json()).intents || []).forEach((name) => list.append(el("option", { value: name })));
}

async function addExample(row) {
  const body = { intent: row.querySelector("input.intent").value.trim(), text: row.querySelector("input.text").value };
  const res = await fetch("/staff/api/trainer/example", {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
  const data = await res.json();
  const note = row.querySelector(".result");
  if (!res.ok) { note.textContent = "未加入：" + data.error; note.className = "result error"; return; }
  note.textContent = data.added ? "已加入 " + data.file : "已有此例句";
  note.className = "result ok";
  $("#yaml-file").textContent = data.file;
  $("#yaml").textContent = data.yaml;
}

async function keepStory(c, table, kind) {
  // the intents the trainer changed in the rows' fields are the story's corrected intents
  const relabel = {};
  table.querySelectorAll("tr.message").forEach((row) => {
    const i = Number(row.dataset.index), typed = row.querySelector("input.intent").value.trim();
    if (typed && typed !== c.messages[i].intent) relabel[String(i + 1)] = typed;
  });
  const res = await fetch("/staff/api/trainer/story", {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify({ sender: c.sender, kind, relabel }),
  });
  const data = await res.json();
  const note = table.nextSibling.querySelector(".result");
  if (!res.ok) { note.textContent = "未保存：" + data.error; note.className = "result error"; return; }
  note.textContent = `已存入 ${data.file}：${data.name}` + (data.unsure ? `（${data.unsure} 处意图待核对）` : "");
  note.className = "result ok";
  $("#yaml-file").textContent = data.file;
  $("#yaml").textContent = data.yaml;
}

function render(conversations) {
  const box = $("#conversations");
  box.replaceChildren();
  conversations.forEach((c) => {
    const flags = [c.fallback ? "没听懂" : "", c.handoff ? "转人工" : ""].filter(Boolean).join("，");
    const started = new Date(c.messages[0].at * 1000).toLocaleString("zh-CN");
    box.append(el("h3", { "data-sender": c.sender }, `${c.channel} ${started} ${flags}`));
    const table = el("table", { class: "conversation", "data-sender": c.sender },
      el("tr", {}, el("th", {}, "客户说的话"), el("th", {}, "识别意图"), el("th", {}, "置信度"),
        el("th", {}, "机器人动作"), el("th", {}, "改为例句")));
    c.messages.forEach((m, i) => {
      const row = el("tr", { class: m.fallback ? "message fallback" : "message", "data-index": String(i) },
        el("td", { class: "said" }, m.text), el("td", { class: "predicted" }, m.intent),
        el("td", {}, m.confidence.toFixed(2)), el("td", {}, (m.actions || []).join(", ")));
      const fix = el("td", {},
        el("input", { class: "text", type: "text", value: m.text, "aria-label": "例句" }),
        el("input", { class: "intent", type: "text", list: "intent-names", value: m.intent, size: "16", "aria-label": "意图" }),
        el("button", { type: "button", class: "add" }, "加为例句"), el("span", { class: "result" }, ""));
      fix.querySelector("button.add").addEventListener("click", () => addExample(row));
      row.append(fix);
      table.append(row);
    });
    box.append(table);
    const keep = el("p", { class: "keep", "data-sender": c.sender },
      el("button", { type: "button", class: "keep-test" }, "存为对话测试"),
      el("button", { type: "button", class: "keep-training" }, "存为训练故事"), el("span", { class: "result" }, ""));
    keep.querySelector("button.keep-test").addEventListener("click", () => keepStory(c, table, "test"));
    keep.querySelector("button.keep-training").addEventListener("click", () => keepStory(c, table, "training"));
    box.append(keep);
  });
  $("#status").textContent = `${conversations.length} 段对话`;
}

async function refresh() {
  const params = new URLSearchParams();
  new FormData($("#filters")).forEach((value, key) => { if (value !== "") params.append(key, value); });
  const res = await fetch("/staff/api/trainer/conversations?" + params, { headers: { Accept: "application/json" } });
  const data = await res.json();
  if (!res.ok) { $("#status").textContent = data.error || "加载失败"; return; }
  render(data.conversations);
  loadStats(params);
}

// advice on the training data (bot/data_warnings.py), read again after each change the page makes
async function loadWarnings() {
  const res = await fetch("/staff/api/trainer/warnings", { headers: { Accept: "application/json" } });
  const list = $("#warnings");
  list.replaceChildren();
  const found = res.ok ? (await res.json()).warnings || [] : [];
  found.forEach((w) => list.append(el("li", { class: "warning " + w.kind }, `${w.file}:${w.line} ${w.message}`)));
  if (!found.length) list.append(el("li", { class: "none" }, "没有提示"));
}

// the trainer's figures for the filtered conversations: per intent, how often the robot fell back,
// handed over to staff, or finished the conversation itself
async function loadStats(params) {
  const res = await fetch("/staff/api/trainer/stats?" + params, { headers: { Accept: "application/json" } });
  const table = $("#stats");
  table.replaceChildren(el("tr", {}, el("th", {}, "意图"), el("th", {}, "对话数"), el("th", {}, "没听懂"),
    el("th", {}, "转人工"), el("th", {}, "自助完成")));
  if (!res.ok) return;
  const pct = (x) => (x * 100).toFixed(1) + "%";
  Object.entries((await res.json()).by_intent || {}).forEach(([intent, r]) => table.append(
    el("tr", { class: "intent", "data-intent": intent }, el("td", {}, intent), el("td", {}, String(r.conversations)),
      el("td", {}, pct(r.fallback)), el("td", {}, pct(r.handoff)), el("td", {}, pct(r.contained)))));
}

$("#filters").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
new MutationObserver(loadWarnings).observe($("#yaml"), { childList: true, characterData: true, subtree: true });
loadIntents();
loadWarnings();
refresh();
