// Staff console: renders the HallBoard's snapshot and live updates from /ws/staff; reconnects when
// the server restarts. All data goes into the page as text (never as HTML).
"use strict";
const state = { customers: new Map(), notices: new Map(), me: null };
const KEEP_ACKED = 30;        // acknowledged requests stay visible (greyed) up to this many
let socket = null, retryMs = 1000, retryTimer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}
const clock = ts => new Date(ts * 1000).toLocaleTimeString("zh-CN", { hour12: false });
const customerKey = n => n.kiosk_id + "|" + n.session_id;
const staffNames = staff => (staff || []).map(s => s.name).join("、") || "值班工作人员";

function ackArea(n) {
  if (n.status === "acknowledged") {
    const who = (n.acked_by && n.acked_by.name) || "工作人员";
    return el("p", { class: "acked" }, `${who} 已接手（${clock(n.acked_at)}）`);
  }
  const button = el("button", { class: "ack", type: "button", "data-id": n.id }, "我来处理");
  button.addEventListener("click", () => acknowledge(n.id, button));
  return button;
}

// a paused sensitive operation (risk review): the evidence is the kiosk's emotion verdict, labels only
const EMOTIONS = { angry: "愤怒", disgust: "厌恶", fear: "恐惧", happy: "高兴", sad: "悲伤", surprise: "惊讶", neutral: "平静" };
function reviewArea(n) {
  if (n.decision) {
    const who = (n.acked_by && n.acked_by.name) || "工作人员";
    return el("p", { class: `acked decision ${n.decision}` },
      `${who} 已${n.decision === "approved" ? "通过" : "拒绝"}（${clock(n.acked_at)}）`);
  }
  const box = el("div", { class: "review-actions" });
  for (const [decision, label] of [["approve", "通过，继续办理"], ["refuse", "拒绝，请到人工窗口"]]) {
    const button = el("button", { class: `review ${decision}`, type: "button", "data-id": n.id, "data-decision": decision }, label);
    button.addEventListener("click", () => decide(n.id, decision, box));
    box.append(button);
  }
  return box;
}
function evidenceText(e) {
  if (!e || !e.judged) return "摄像头样本不足";
  const counts = Object.entries(e.counts || {}).map(([k, v]) => `${EMOTIONS[k] || k} ${v}`).join("、");
  return `近${e.window_s}秒 ${e.samples} 个样本中 ${e.abnormal_samples} 个异常（${Math.round(e.share * 100)}%）：${counts}`;
}

function profileRows(p) {
  if (!p || p.note) return [["客户画像", (p && p.note) || "无"]];
  const rows = [["客户类型", p.customer_type_name], ["信用分", p.credit], ["偏好渠道", p.preferred_channel],
                ["用电水平", p.consumption_level]];
  if (p.keywords && p.keywords.length) rows.push(["关键词", p.keywords.join("、")]);
  return rows;
}

function dl(rows) {
  const list = el("dl");
  for (const [k, v] of rows) if (v !== undefined && v !== null && v !== "") list.append(el("dt", {}, k), el("dd", {}, v));
  return list;
}

function customerCard(n) {
  const left = n.left_at !== null && n.left_at !== undefined;
  const card = el("li", { class: `card arrival ${n.status}${left ? " left" : ""}`, "data-id": n.id, "data-kind": n.kind });
  card.append(el("div", { class: "title" }, el("span", { class: "name" }, n.name || "未识别客户"),
    el("span", { class: "tag" }, `终端 ${n.kiosk_id}`),
    n.recently_served ? el("span", { class: "tag" }, "近期已服务") : null,
    left ? el("span", { class: "tag" }, "已离开") : null,
    el("span", { class: "meta" }, `到达 ${clock(n.ts)}`)));
  const predicted = (n.predicted_business || []).map(b => `${b.title}（${b.reason}）`).join("；");
  const rows = [["预测业务", predicted || "暂无"], ...profileRows(n.profile_summary), ["建议通知", staffNames(n.staff)]];
  card.append(dl(rows));
  if (!left) card.append(ackArea(n));
  return card;
}

function noticeCard(n) {
  const card = el("li", { class: `card ${n.kind} ${n.status}`, "data-id": n.id, "data-kind": n.kind });
  card.append(el("div", { class: "title" }, el("span", { class: "tag kind" }, n.kind_name),
    el("span", { class: "name" }, n.name || "未识别客户"), el("span", { class: "tag" }, `终端 ${n.kiosk_id}`),
    el("span", { class: "meta" }, clock(n.ts))));
  if (n.kind === "handoff") {
    card.append(dl([["业务", n.business_name || n.business_type], ["原因", n.reason_text || n.reason], ["建议通知", staffNames(n.staff)]]));
    if (n.transcript && n.transcript.length) {
      const t = el("div", { class: "transcript" });
      for (const line of n.transcript) {
        t.append(el("p", { class: line.who }, el("b", {}, line.who === "customer" ? "客户：" : "机器人："), line.text));
      }
      card.append(t);
    }
  } else if (n.kind === "risk_review") {
    card.append(dl([["业务", n.summary], ["情绪证据", evidenceText(n.evidence)],
      ["说明", "情绪识别并不可靠，请到客户身边确认后再决定"]]));
    card.append(reviewArea(n));
    return card;
  } else {
    card.append(dl([["原因", n.reason_text || n.reason]]));
  }
  card.append(ackArea(n));
  return card;
}

function render() {
  const customers = [...state.customers.values()].sort((a, b) => b.ts - a.ts);
  document.getElementById("customers").replaceChildren(...customers.map(customerCard));
  document.getElementById("customer-count").textContent = customers.filter(c => c.left_at == null).length;
  document.getElementById("customers-empty").hidden = customers.length > 0;
  const notices = [...state.notices.values()].sort((a, b) =>
    (a.status === "open" ? 0 : 1) - (b.status === "open" ? 0 : 1) || b.ts - a.ts);
  document.getElementById("notices").replaceChildren(...notices.map(noticeCard));
  document.getElementById("notice-count").textContent = notices.filter(n => n.status === "open").length;
  document.getElementById("notices-empty").hidden = notices.length > 0;
  if (state.me) document.getElementById("me").textContent = `${state.me.name}（${state.me.staff_id}）`;
}

function trimAcked() {
  const acked = [...state.notices.values()].filter(n => n.status !== "open").sort((a, b) => b.ts - a.ts);
  for (const n of acked.slice(KEEP_ACKED)) state.notices.delete(n.id);
}

function apply(update) {
  const n = update.notice;
  switch (update.event) {
    case "snapshot":
      state.me = update.me;
      state.customers = new Map(update.customers.map(c => [customerKey(c), c]));
      state.notices = new Map(update.notices.filter(x => x.kind !== "arrival").map(x => [x.id, x]));
      break;
    case "arrival": state.customers.set(customerKey(n), n); break;
    case "handoff": case "enrolment_assist": case "risk_review": state.notices.set(n.id, n); break;
    case "review": state.notices.set(n.id, n); trimAcked(); break;
    case "departure": {
      const c = state.customers.get(customerKey(n));
      if (c) c.left_at = n.ts;
      setTimeout(() => { const x = state.customers.get(customerKey(n)); if (x && x.left_at) { state.customers.delete(customerKey(n)); render(); } }, 300000);
      break;
    }
    case "ack":
      if (state.notices.has(n.id)) state.notices.set(n.id, n);
      for (const [k, c] of state.customers) if (c.id === n.id) state.customers.set(k, { ...n, left_at: c.left_at });
      trimAcked();
      break;
    case "error": console.warn(update.error); return;
    default: return;
  }
  render();
}

// the server renders the session's CSRF token into the page; every console POST carries it
const csrfToken = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

async function acknowledge(id, button) {
  button.disabled = true;
  try {
    const r = await fetch(`/staff/api/ack/${encodeURIComponent(id)}`,
      { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() } });
    if (r.status === 401) { location.href = "/staff/login"; return; }
    const body = await r.json();
    if (!r.ok) { alert(body.error || "操作失败"); button.disabled = false; return; }
    apply({ event: "ack", notice: body.notice });   // the websocket brings the same update; applying twice is harmless
  } catch (e) {
    button.disabled = false;
    alert("网络异常，请稍后再试");
  }
}

async function decide(id, decision, box) {
  for (const b of box.querySelectorAll("button")) b.disabled = true;
  try {
    const r = await fetch(`/staff/api/review/${encodeURIComponent(id)}/${decision}`,
      { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() } });
    if (r.status === 401) { location.href = "/staff/login"; return; }
    const body = await r.json();
    if (!r.ok) { alert(body.error || "操作失败"); for (const b of box.querySelectorAll("button")) b.disabled = false; return; }
    apply({ event: "review", notice: body.notice });
  } catch (e) {
    for (const b of box.querySelectorAll("button")) b.disabled = false;
    alert("网络异常，请稍后再试");
  }
}

// a customer withdraws face consent: staff confirm, the server erases every store (bot.privacy.erase_face)
async function deleteFace(form) {
  const out = document.getElementById("face-delete-result");
  const customerId = form.customer_id.value.trim(), idNumber = form.id_number.value.trim();
  if (!customerId && !idNumber) { out.textContent = "请输入客户编号或身份证号"; return; }
  if (!confirm("删除后该客户下次需要刷身份证或验证码办理，确定删除其人脸信息吗？")) return;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const r = await fetch("/staff/api/face-delete", { method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(customerId ? { customer_id: customerId } : { id_number: idNumber }) });
    if (r.status === 401) { location.href = "/staff/login"; return; }
    const body = await r.json();
    if (!r.ok) { out.textContent = body.error || "删除失败"; return; }
    const e = body.erased;
    out.textContent = e.templates || e.consents || e.business_face_id
      ? `已删除客户 ${body.customer_id} 的人脸信息（特征 ${e.templates} 条，授权 ${e.consents} 条）` +
        (body.complete ? "，已告知客户" : "；业务系统档案中的人脸ID未能清除，请稍后重试")
      : `客户 ${body.customer_id} 没有已保存的人脸信息`;
    form.reset();
  } catch (err) {
    out.textContent = "网络异常，请稍后再试";
  } finally {
    button.disabled = false;
  }
}
document.getElementById("face-delete").addEventListener("submit", e => { e.preventDefault(); deleteFace(e.target); });

function setConnected(on) {
  const c = document.getElementById("conn");
  c.className = "conn " + (on ? "online" : "offline");
  c.textContent = on ? "实时连接" : "连接中断，正在重连…";
}

function connect() {
  clearTimeout(retryTimer);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/staff`);
  socket = ws;
  ws.onopen = () => { retryMs = 1000; setConnected(true); };
  ws.onmessage = e => { try { apply(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = async () => {
    if (socket !== ws) return;
    setConnected(false);
    try {   // logged out (or the session expired)? then go to the login page instead of retrying
      const r = await fetch("/staff/api/snapshot", { headers: { Accept: "application/json" } });
      if (r.status === 401) { location.href = "/staff/login"; return; }
    } catch (e) { /* server down: retry below */ }
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

window.staffConsole = { state, connected: () => socket && socket.readyState === WebSocket.OPEN };
connect();
