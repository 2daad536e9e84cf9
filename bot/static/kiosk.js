// Kiosk page: camera frames + microphone audio to the server over one WebSocket; replies,
// transcript, customer name, recommendations, business cards, prompts and reply audio back.
// Protocol: bot/kiosk/routes.py. window.kioskMetrics records timings for tests and benchmarks.
"use strict";
(() => {
  const params = new URLSearchParams(location.search);
  const kioskId = params.get("kiosk") || "kiosk-1";
  // Frames come fast while nobody is identified (recognition wants a few good frames of a face),
  // fastest while a face in view is judged (liveness cues come from motion between frames: twice
  // the frames decide sooner), and slowly once someone is being served (only "still there?"
  // matters; ASR needs the CPU).
  const FRAME_MS = Number(params.get("frame_ms") || 250), JUDGING_FRAME_MS = Number(params.get("judge_ms") || Math.min(FRAME_MS, 125));
  const SERVING_FRAME_MS = 1000;
  const LOOKING = new Set(["idle", "connected", "person_detected", "greeting", "farewell"]);
  const VOICE_RMS = 0.01;
  const $ = (id) => document.getElementById(id);
  const metrics = (window.kioskMetrics = {
    kioskId, events: [], audioStarts: [], audioChunks: 0, firstMicSent: null, firstFrameSent: null,
    connected: false, media: {camera: false, mic: false}, state: "idle", timings: [],
    lastVoice: null, voiceStarts: [], notices: [],
  });
  const mark = (type, data = {}) => metrics.events.push({t: performance.now(), type, ...data});

  let ws = null, audioCtx = null, stream = null, mic = false, camera = false;
  let pendingAudio = null, playCursor = 0, sources = [], playingTurn = null, drainTimer = null;
  const STATE_NAMES = {idle: "待机", person_detected: "有人来了", greeting: "问候", identified: "已识别",
    anonymous: "访客", serving: "服务中", verifying: "身份核验", handoff: "转人工", farewell: "再见", connected: "待机"};
  const STAGES = {asr: "语音识别", tts: "语音播报", rasa: "对话服务", actions: "业务服务"};

  // ---------------------------------------------------------------- connection
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  // The last text whose answer has not come: after the app restarts (a reconnect resumes the
  // conversation) it goes again with its id, and the dialogue handles it once.
  let unanswered = null;
  function turnId() {
    const r = new Uint8Array(12); crypto.getRandomValues(r);
    return "p" + Array.from(r, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function sendBinary(tag, bytes) {
    if (!ws || ws.readyState !== 1 || ws.bufferedAmount > 2e6) return false;
    const out = new Uint8Array(bytes.byteLength + 1);
    out[0] = tag; out.set(new Uint8Array(bytes), 1);
    ws.send(out.buffer);
    return true;
  }
  // The way back to this kiosk's conversation after a dropped connection, a reload or an app restart
  // (the server signs it, bound to this kiosk; empty while nobody is served).
  const RESUME_KEY = `hallbot-resume-${kioskId}`;
  function resumeToken() { try { return sessionStorage.getItem(RESUME_KEY) || ""; } catch (e) { return ""; } }
  function keepResume(token) { try { sessionStorage.setItem(RESUME_KEY, token || ""); } catch (e) { /* private mode */ } }
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws/kiosk/${encodeURIComponent(kioskId)}`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      metrics.connected = true; mark("connected");
      $("conn").textContent = "已连接"; $("conn").className = "pill on";
      send({type: "hello", rate: audioCtx ? audioCtx.sampleRate : 16000, camera, mic, resume: resumeToken()});
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") handle(JSON.parse(ev.data));
      else if (pendingAudio) { play(pendingAudio, ev.data); pendingAudio = null; }
    };
    ws.onclose = () => {
      metrics.connected = false; mark("disconnected");
      $("conn").textContent = "连接中断，正在重连"; $("conn").className = "pill bad";
      setTimeout(connect, 1000);
    };
  }

  // ---------------------------------------------------------------- media in
  // A kiosk browser without the autoplay flag needs one touch before it may play audio. A new
  // AudioContext also reads "suspended" for a moment while its audio thread starts (longer on a
  // busy machine), so the touch is asked only of a context that is still suspended after trying.
  async function askForATouchIfAudioStaysSuspended(ctx) {
    if (ctx.state !== "suspended") return;
    await Promise.race([ctx.resume().catch(() => {}), new Promise((done) => setTimeout(done, 1500))]);
    if (ctx.state !== "suspended") return;
    $("start").hidden = false;
    $("start-button").onclick = () => { ctx.resume(); $("start").hidden = true; };
  }

  async function startMedia() {
    const wants = [{video: {width: 640, height: 480}, audio: {echoCancellation: true, noiseSuppression: true, channelCount: 1}},
                   {video: {width: 640, height: 480}}, {audio: {echoCancellation: true}}];
    for (const c of wants) {
      try { stream = await navigator.mediaDevices.getUserMedia(c); break; } catch (e) { mark("media_error", {error: String(e)}); }
    }
    camera = !!(stream && stream.getVideoTracks().length);
    mic = !!(stream && stream.getAudioTracks().length);
    metrics.media = {camera, mic};
    $("mic-state").textContent = mic ? "麦克风已开" : "无麦克风，请触屏或键盘输入";
    $("mic-state").className = "pill " + (mic ? "on" : "bad");
    audioCtx = new AudioContext();
    send({type: "hello", rate: audioCtx.sampleRate, camera, mic, resume: resumeToken()});   // before the first audio chunk
    askForATouchIfAudioStaysSuspended(audioCtx);   // not awaited: camera and mic start meanwhile
    if (camera) {
      $("camera").srcObject = stream;
      watchVideoFrames($("camera"));
      setInterval(sendFrame, JUDGING_FRAME_MS);
    } else { $("camera").hidden = true; }
    if (mic) {
      await audioCtx.audioWorklet.addModule("/static/kiosk-mic-worklet.js");
      const src = audioCtx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
      const node = new AudioWorkletNode(audioCtx, "mic-capture");
      node.port.onmessage = (e) => {
        const now = performance.now();
        if (e.data.rms > VOICE_RMS) {   // the page's own view of when the customer spoke (benchmark)
          if (metrics.lastVoice === null || now - metrics.lastVoice > 300) metrics.voiceStarts.push(now);
          metrics.lastVoice = now;
        }
        if (sendBinary(1, e.data.pcm) && metrics.firstMicSent === null) { metrics.firstMicSent = now; mark("mic_started"); }
      };
      src.connect(node);   // not connected to the speakers: no local echo
    }
  }

  const canvas = document.createElement("canvas");
  let frameBusy = false, lastFrame = 0, presented = null, sentPresented = null, judgingUntil = 0;
  const LIVENESS_ASK_MS = 11000;   // a liveness request (challenge, ID-card check) is answered within 10 s
  // The same camera frame is never sent twice: a slow camera (or a 4 fps test video) sampled
  // faster than it delivers would repeat frames byte for byte, which liveness reads as a replay.
  function watchVideoFrames(video) {
    if (!video.requestVideoFrameCallback) return;   // then every tick sends (older browsers)
    const onFrame = (_now, meta) => { presented = meta.presentedFrames; video.requestVideoFrameCallback(onFrame); };
    video.requestVideoFrameCallback(onFrame);
  }
  function frameInterval() {
    if (metrics.state === "person_detected" || performance.now() < judgingUntil) return JUDGING_FRAME_MS;
    return LOOKING.has(metrics.state) ? FRAME_MS : SERVING_FRAME_MS;
  }
  function sendFrame() {
    const video = $("camera");
    if (frameBusy || !ws || ws.readyState !== 1 || video.readyState < 2) return;
    if (performance.now() - lastFrame < frameInterval() - 5) return;   // 5 ms: timer jitter
    // (a stalled callback, e.g. the page in the background, must not stop the camera: 1 s at most)
    if (presented !== null && presented === sentPresented && performance.now() - lastFrame < SERVING_FRAME_MS) return;
    lastFrame = performance.now(); sentPresented = presented;
    canvas.width = video.videoWidth || 640; canvas.height = video.videoHeight || 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    frameBusy = true;
    canvas.toBlob(async (blob) => {
      try {
        if (blob && sendBinary(2, await blob.arrayBuffer()) && metrics.firstFrameSent === null) {
          metrics.firstFrameSent = performance.now(); mark("camera_started");
        }
      } finally { frameBusy = false; }
    }, "image/jpeg", 0.85);
  }

  // ---------------------------------------------------------------- audio out
  function play(meta, buffer) {
    if (!audioCtx) return;
    const pcm = new Int16Array(buffer);
    const audio = audioCtx.createBuffer(1, pcm.length, meta.sample_rate);
    const ch = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
    const src = audioCtx.createBufferSource();
    src.buffer = audio; src.connect(audioCtx.destination);
    const at = Math.max(audioCtx.currentTime + 0.02, playCursor);
    src.start(at);
    playCursor = at + audio.duration;
    sources.push(src);
    src.onended = () => { sources = sources.filter((s) => s !== src); };
    metrics.audioChunks++;
    if (meta.seq === 0 || playingTurn === null) {
      const startsAt = performance.now() + (at - audioCtx.currentTime) * 1000;
      metrics.audioStarts.push({turn_id: meta.turn_id, text: meta.text, t: startsAt, received: performance.now()});
      mark("audio_start", {turn_id: meta.turn_id, text: meta.text, at: startsAt});
    }
    playingTurn = meta.turn_id;
    clearTimeout(drainTimer);
    drainTimer = setTimeout(() => { playingTurn = null; send({type: "playback_finished"}); mark("audio_end"); },
                            (playCursor - audioCtx.currentTime) * 1000 + 50);
  }
  function stopAudio(reason) {
    for (const s of sources) { try { s.stop(); } catch (e) { /* already ended */ } }
    sources = []; playingTurn = null; if (audioCtx) playCursor = audioCtx.currentTime;
    mark("audio_stopped", {reason});
  }

  // ---------------------------------------------------------------- screen
  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = `msg ${who}`; div.textContent = text;
    $("conversation").appendChild(div);
    showLatest();
  }
  // Cards and buttons arrive after the reply's bubble and shrink the conversation pane (flex: 1):
  // scrolling once at append time left the latest reply cut off below the fold. Re-pin to the
  // bottom whenever the pane or its content changes size.
  function showLatest() {
    const conv = $("conversation");
    conv.scrollTop = conv.scrollHeight;
  }
  if (window.ResizeObserver) {
    const pin = new ResizeObserver(showLatest);
    pin.observe($("conversation"));
    new MutationObserver(showLatest).observe($("conversation"), {childList: true});
  }
  function buttonsFor(list) {
    const box = $("suggestions"); box.innerHTML = "";
    for (const b of list) {
      const btn = document.createElement("button");
      btn.textContent = b.title; btn.dataset.button = b.id;
      btn.onclick = () => press(b.id, b.title);
      box.appendChild(btn);
    }
  }
  const STATUS_NAMES = {submitted: "已受理", accepted: "已受理", processing: "办理中", done: "已办结"};  // never the code
  const yuan = (v) => `¥${Number(v).toFixed(2)}`;
  function card(html, kind) {
    const div = document.createElement("div");
    div.className = "card"; div.dataset.kind = kind; div.innerHTML = html;
    const cards = $("cards"); cards.prepend(div);
    while (cards.children.length > 3) cards.lastChild.remove();
    showLatest();
  }
  const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
  function custom(c) {   // payload types and fields: hallbot/payloads.py (copy in payload_types.js)
    if (!(c.type in PAYLOAD_FIELDS)) console.warn("payload outside the contract:", c.type);
    if (c.type === "bills") {
      card(`<b>账单</b><table><tr><th>户号</th><th>账期</th><th>电量</th><th>金额</th><th>状态</th></tr>${
        c.bills.map((b) => `<tr><td>${esc(b.account_no)}</td><td>${esc(b.period)}</td><td>${esc(b.kwh)} 度</td><td class="amount">${yuan(b.amount)}</td><td>${b.paid ? "已缴" : "未缴"}</td></tr>`).join("")}</table>`, "bills");
    } else if (c.type === "arrears") {
      card(`<b>欠费</b>${c.items.map((i) => `<div>户号 ${esc(i.account_no)}：<span class="amount">${yuan(i.amount)}</span></div>`).join("") || "无欠费"}`, "arrears");
    } else if (c.type === "confirm_payment") {
      card(`<b>请确认缴费</b><div>户号 ${esc(c.account_no)}：<span class="amount">${yuan(c.amount)}</span></div>`, "confirm_payment");
    } else if (c.type === "payment") {
      card(`<b>缴费成功</b><div>户号 ${esc(c.account_no)} 缴费 <span class="amount">${yuan(c.amount)}</span>，余额 ${yuan(c.balance_after)}</div><div>流水号 ${esc(c.payment_id)}</div>`, "payment");
    } else if (c.type === "invoice") {
      card(`<b>电子发票</b><div>${esc(c.invoice_id)} · 户号 ${esc(c.account_no)} · ${esc(c.period)} · ${yuan(c.amount)}</div>`, "invoice");
    } else if (c.type === "application") {
      card(`<b>业务受理</b><div>受理号 ${esc(c.application_id)}（${esc(STATUS_NAMES[c.status] || "处理中")}）</div>`, "application");
    } else if (c.type === "outage_ticket") {
      card(`<b>报修工单</b><div>${esc(c.ticket_id)} · ${esc(c.address)}</div>`, "outage_ticket");
    } else if (c.type === "handoff") {
      const who = (c.staff || []).map((s) => s.name).join("、") || "值班工作人员";
      card(`<b>已通知工作人员</b><div>${esc(who)} 将为您服务，请稍候。</div>`, "handoff");
    } else if (c.type === "staff_coming") {
      card(`<b>工作人员已响应</b><div>${esc(c.staff)} 正在赶来</div>`, "staff_coming");
    } else if (c.type === "recommendations") {
      card(`<b>为您推荐</b>${c.items.map((i) => `<div>${esc(i.title)}：${esc(i.reason)}</div>`).join("")}`, "recommendations");
    }
  }
  function prompt(p) {
    if (p.kind === "id_card") $("consent").checked = false;   // asked afresh of every customer
    $("idcard").hidden = p.kind !== "id_card";
    $("keypad").hidden = p.kind !== "keypad";
    $("rating").hidden = p.kind !== "rating";
    if (p.kind === "rating") $("rating-label").textContent = p.label;
    if (p.kind === "keypad") {
      $("keypad-label").textContent = `请输入${p.label}`;
      $("keypad").dataset.slot = p.slot; $("keypad").dataset.digits = p.digits;
      $("keypad-value").value = "";
      $("keypad-value").type = p.slot === "sms_code" ? "password" : "text";   // a code is never on screen
    }
  }
  // One banner per component: a service's error stays until its recovery notice (which fades),
  // so two services down at once show two banners; other errors (a bad frame, a stale button) fade.
  const SERVICES = new Set(["asr", "tts", "speech", "rasa", "actions", "business"]);
  function notice(n) {
    metrics.notices.push({t: performance.now(), ...n});
    if (n.component === "liveness") judgingUntil = performance.now() + LIVENESS_ASK_MS;
    const box = $("notice"), component = n.component || "general";
    let el = [...box.children].find((c) => c.dataset.component === component);
    if (!el) { el = document.createElement("div"); el.dataset.component = component; box.appendChild(el); }
    el.textContent = n.text; el.className = `notice ${n.level}`;
    clearTimeout(el.fade);
    if (n.level === "info" || !SERVICES.has(component)) el.fade = setTimeout(() => el.remove(), n.level === "info" ? 6000 : 8000);
    box.hidden = false;
  }

  function handle(m) {
    mark("recv", {kind: m.type});
    switch (m.type) {
      case "audio": pendingAudio = m; break;
      case "stop_audio": stopAudio(m.reason); break;
      case "bot":
        unanswered = null;
        if (m.text) bubble(m.text, "bot");
        if (m.buttons && m.buttons.length) buttonsFor(m.buttons);
        if (m.custom) custom(m.custom);
        break;
      case "user_text": bubble(m.text, "user"); $("transcript").textContent = ""; break;
      case "transcript": $("transcript").textContent = m.text; break;
      case "listening": $("listening").hidden = !m.active; break;
      case "customer":
        $("customer").hidden = !m.name; $("customer-name").textContent = m.name || "";
        break;
      case "state":
        metrics.state = m.state; document.body.dataset.state = m.state;
        $("state").textContent = STATE_NAMES[m.state] || m.state;
        if (m.note === "resumed" && unanswered) send({...unanswered, retry: true});
        if (m.note === "reset") {
          unanswered = null;
          $("conversation").innerHTML = ""; $("cards").innerHTML = ""; $("suggestions").innerHTML = "";
          $("consent").checked = false;
        }
        break;
      case "prompt": prompt(m); break;
      case "notice": notice(m); break;
      case "resume": keepResume(m.token); break;
      case "timings": metrics.timings.push(m); break;
    }
  }

  // ---------------------------------------------------------------- input
  function say(text, source) {
    if (!text) return;
    if (audioCtx && audioCtx.state === "suspended") audioCtx.resume();
    stopAudio("user input");
    unanswered = {type: "text", text, source, id: turnId()};
    send(unanswered);
  }
  // A tap sends the id of a button the server offered; the server keeps what it means.
  function press(id, display) {
    if (audioCtx && audioCtx.state === "suspended") audioCtx.resume();
    stopAudio("user input");
    unanswered = null;   // buttons are the app's own: a restarted app has none to press again
    send({type: "button", id, display: display || ""});
  }
  for (const b of document.querySelectorAll("#menu button")) b.onclick = () => press(b.dataset.button, b.textContent);
  $("typing").onsubmit = (e) => { e.preventDefault(); say($("text").value.trim(), "keyboard"); $("text").value = ""; };
  for (const k of document.querySelectorAll(".keys button")) {
    k.onclick = () => {
      const v = $("keypad-value");
      v.value = k.dataset.key === "back" ? v.value.slice(0, -1) : v.value + k.textContent;
    };
  }
  $("keypad-ok").onclick = () => { const v = $("keypad-value").value; if (v) { say(v, "keypad"); $("keypad").hidden = true; } };
  // the farewell rating: one tap, or skip (the server stores it for the visit it asked about)
  for (const b of document.querySelectorAll("#rating [data-score]")) {
    b.onclick = () => { send({type: "rating", score: Number(b.dataset.score)}); $("rating").hidden = true; };
  }
  $("rating-skip").onclick = () => { send({type: "rating", score: null}); $("rating").hidden = true; };
  $("idcard-done").onclick = () => {
    send({type: "id_card", consent: $("consent").checked});
    $("consent").checked = false; $("idcard").hidden = true;
  };

  connect();
  startMedia().catch((e) => mark("media_error", {error: String(e)}));
})();
