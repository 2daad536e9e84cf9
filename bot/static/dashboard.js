// Operations dashboard: the day's report and the live figures from /staff/api/dashboard, drawn with
// chart.js (served by the app from npm, bot/static/vendor); refreshed every 15 s. Data goes in as text.
"use strict";
const $ = (id) => document.getElementById(id);
const charts = {};
const today = () => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); };

function draw(id, type, labels, data) {
  if (typeof Chart === "undefined") return;   // the library is missing: the figures still show
  if (charts[id]) { charts[id].data.labels = labels; charts[id].data.datasets[0].data = data; charts[id].update(); return; }
  charts[id] = new Chart($(id), { type, data: { labels, datasets: [{ data, label: "" }] },
    options: { animation: false, plugins: { legend: { display: type === "doughnut" } } } });
}

function show(body) {
  const r = body.report;
  for (const [k, v] of Object.entries(body.live)) $(`live-${k}`).textContent = v;
  for (const k of ["visitors", "recognised", "anonymous", "handed_off", "robot_only", "reviews_opened"]) $(`fig-${k}`).textContent = r[k];
  $("fig-fallback_rate").textContent = r.fallback_rate === null ? "-" : `${Math.round(r.fallback_rate * 100)}%`;
  $("fig-satisfaction").textContent = r.satisfaction === null ? "-" : r.satisfaction;
  draw("chart-hours", "bar", r.visitors_by_hour.map((_, h) => `${h}时`), r.visitors_by_hour);
  draw("chart-intents", "bar", r.top_intents.map(i => i.name), r.top_intents.map(i => i.count));
  draw("chart-ratings", "doughnut", Object.keys(r.rating_counts), Object.values(r.rating_counts));
  const rows = r.by_staff.map(s => {
    const tr = document.createElement("tr");
    for (const v of [s.staff_id, s.handled, s.rated, s.satisfaction === null ? "-" : s.satisfaction]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    return tr;
  });
  document.querySelector("#staff-table tbody").replaceChildren(...rows);
  document.body.dataset.loaded = r.day;
}

async function load() {
  const day = $("day").value || today();
  $("csv").href = `/staff/api/dashboard.csv?day=${encodeURIComponent(day)}`;
  const r = await fetch(`/staff/api/dashboard?day=${encodeURIComponent(day)}`, { headers: { Accept: "application/json" } });
  if (r.status === 401) { location.href = "/staff/login"; return; }
  if (r.ok) show(await r.json());
}

$("day").value = today();
$("day").onchange = load;
load();
setInterval(load, 15000);
