// The primesum console: submits jobs and follows them and the service through the server's
// event stream (GET /v1/events), read with fetch so that it can carry an API key.
"use strict";

const $ = (id) => document.getElementById(id);
const maxJobs = 20;

const state = {
  key: localStorage.getItem("primesum.key") || "",
  jobs: [],
  current: null,
  stream: null,
  streamJobs: "",
};

// Jobs are kept per key, so a browser shared by two keys shows each only its own.
function jobsStorageKey() {
  let hash = 2166136261;
  for (const c of state.key) hash = Math.imul(hash ^ c.charCodeAt(0), 16777619) >>> 0;
  return "primesum.jobs." + (state.key ? hash.toString(16) : "open");
}

function loadJobs() {
  try {
    state.jobs = JSON.parse(localStorage.getItem(jobsStorageKey()) || "[]");
  } catch {
    state.jobs = [];
  }
}

function saveJobs() {
  state.jobs = state.jobs.slice(0, maxJobs);
  localStorage.setItem(jobsStorageKey(), JSON.stringify(state.jobs));
}

function authHeaders(extra = {}) {
  return state.key ? { ...extra, Authorization: "Bearer " + state.key } : extra;
}

function isTerminal(status) {
  return status === "FINISHED" || status === "FAILED" || status === "CANCELLED";
}

function errorMessage(body, status) {
  return (body && body.error && body.error.message) || "the server answered " + status;
}

async function readJSON(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// ---- Submitting and cancelling ----

async function submit(event) {
  event.preventDefault();
  const error = $("submit-error");
  error.textContent = "";
  const a = $("a").value.trim();
  const b = $("b").value.trim();
  let response;
  try {
    response = await fetch("/sumPrime", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify({ a, b }),
    });
  } catch {
    error.textContent = "The service cannot be reached.";
    return;
  }
  const body = await readJSON(response);
  if (response.status === 401) return askForKey(errorMessage(body, response.status));
  if (!response.ok) {
    error.textContent = errorMessage(body, response.status);
    return;
  }
  const retryAfter = Number(response.headers.get("Retry-After"));
  const job = {
    id: body._id,
    a: body.a,
    b: body.b,
    status: body.status,
    sum: body.sum || null,
    progress: body.progress || 0,
    createdAt: body.createdAt,
    finishedAt: body.finishedAt || null,
    estimate: response.status === 202 && retryAfter > 0 ? retryAfter : null,
    worker: body.worker || null,
    traceId: body.traceId || null,
  };
  state.jobs = [job, ...state.jobs.filter((j) => j.id !== job.id)];
  state.current = job.id;
  saveJobs();
  render();
  follow();
}

async function cancelCurrent() {
  const id = state.current;
  if (!id) return;
  const response = await fetch("/sumPrime/" + id, { method: "DELETE", headers: authHeaders() });
  const body = await readJSON(response);
  if (response.ok) update(body);
  else $("submit-error").textContent = errorMessage(body, response.status);
}

// ---- What the server sends ----

function update(document) {
  const job = state.jobs.find((j) => j.id === document._id);
  if (!job) return;
  job.status = document.status;
  job.progress = document.progress ?? job.progress;
  job.sum = document.sum || null;
  job.finishedAt = document.finishedAt || null;
  job.error = document.error ? document.error.message : null;
  job.worker = document.worker || job.worker || null;
  job.traceId = document.traceId || job.traceId || null;
  saveJobs();
  render();
  if (isTerminal(job.status)) follow();
}

function forget(id) {
  state.jobs = state.jobs.filter((j) => j.id !== id);
  if (state.current === id) state.current = null;
  saveJobs();
  render();
}

function showStats(stats) {
  $("stat-queued").textContent = stats.queued;
  $("stat-in-progress").textContent = stats.inProgress;
  $("stat-replicas").textContent = stats.replicas;
  $("stat-workers").textContent = stats.workers;
  const windows = stats.windows;
  const last = windows[windows.length - 1];
  $("rate-now").textContent = last ? last.finishedPerSecond.toFixed(1) + "/s" : "–";
  $("latency-now").textContent =
    last && last.p99Ms != null ? last.p50Ms.toFixed(1) + " / " + last.p99Ms.toFixed(1) + " ms" : "–";
  $("rate-top").textContent = chart($("chart-rate"), [windows.map((w) => w.finishedPerSecond)], ["rate"]) + "/s";
  $("latency-top").textContent =
    chart($("chart-latency"), [windows.map((w) => w.p50Ms), windows.map((w) => w.p99Ms)], ["p50", "p99"]) + " ms";
}

function showReplicas(replicas) {
  const body = $("replicas").tBodies[0];
  body.replaceChildren(
    ...replicas.map((r) => row([r.name, r.role, String(r.workers), String(r.running), r.version]))
  );
}

// One line per series, scaled to the largest value, which it returns (rounded for a label); a
// missing value (a window without jobs) breaks the line.
function chart(svg, series, classes) {
  const width = 300;
  const height = 80;
  const values = series.flat().filter((v) => v != null);
  const top = Math.max(1, ...values);
  const ns = "http://www.w3.org/2000/svg";
  const shapes = [];
  series.forEach((points, index) => {
    const step = width / Math.max(1, points.length - 1);
    let path = "";
    points.forEach((v, i) => {
      if (v == null) return;
      const x = Number((i * step).toFixed(1));
      const y = (height - 4 - (v / top) * (height - 16)).toFixed(1);
      // A value without a neighbour before it starts a segment of its own, a dash wide.
      path += points[i - 1] != null ? " L" + x + " " + y : " M" + Math.max(0, x - 3) + " " + y + " L" + x + " " + y;
    });
    const line = document.createElementNS(ns, "path");
    line.setAttribute("d", path.trim() || "M0 " + (height - 4));
    line.setAttribute("class", "series " + classes[index]);
    shapes.push(line);
  });
  svg.replaceChildren(...shapes);
  return top >= 100 ? String(Math.round(top)) : top.toFixed(1);
}

// ---- The event stream ----

// Opens (or reopens) the stream for the jobs still running; reconnects after a failure.
function follow() {
  const running = state.jobs.filter((j) => !isTerminal(j.status)).map((j) => j.id);
  const wanted = running.join(",");
  if (state.stream && state.streamJobs === wanted) return;
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  state.streamJobs = wanted;
  const query = running.map((id) => "job=" + encodeURIComponent(id)).join("&");
  readStream("/v1/events" + (query ? "?" + query : ""), controller).then(
    () => reconnect(controller, 1000),
    () => reconnect(controller, 2000)
  );
}

function reconnect(controller, delay) {
  if (state.stream !== controller || controller.signal.aborted) return;
  state.stream = null;
  setConnection(false);
  setTimeout(follow, delay);
}

async function readStream(url, controller) {
  const response = await fetch(url, { headers: authHeaders(), signal: controller.signal });
  if (response.status === 401) {
    askForKey(errorMessage(await readJSON(response), 401));
    controller.abort();
    return;
  }
  if (!response.ok || !response.body) throw new Error("status " + response.status);
  setConnection(true);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

function dispatch(block) {
  let name = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  const value = JSON.parse(data || "null");
  if (name === "stats") showStats(value);
  else if (name === "replicas") showReplicas(value.replicas);
  else if (name === "job") update(value);
  else if (name === "gone") forget(value.id);
}

function setConnection(live) {
  $("connection").textContent = live ? "live" : "reconnecting…";
  $("connection").className = live ? "live" : "";
}

// ---- The API key ----

function askForKey(message) {
  $("key-section").hidden = false;
  $("key-error").textContent = state.key ? message : "";
  $("key").focus();
}

function useKey(event) {
  event.preventDefault();
  state.key = $("key").value.trim();
  localStorage.setItem("primesum.key", state.key);
  $("key-section").hidden = true;
  $("key-error").textContent = "";
  loadJobs();
  state.current = null;
  render();
  if (state.stream) state.stream.abort();
  state.stream = null;
  follow();
}

// ---- Drawing ----

function row(cells) {
  const tr = document.createElement("tr");
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

function statusText(job) {
  if (job.status === "IN_PROGRESS") return "IN_PROGRESS " + Math.floor((job.progress || 0) * 100) + "%";
  if (job.status === "FAILED" && job.error) return "FAILED: " + job.error;
  return job.status;
}

function seconds(value) {
  if (value < 1) return Math.round(value * 1000) + " ms";
  return value < 10 ? value.toFixed(2) + " s" : Math.round(value) + " s";
}

function render() {
  const jobs = state.jobs;
  $("jobs").hidden = jobs.length === 0;
  $("jobs-empty").hidden = jobs.length > 0;
  $("jobs").tBodies[0].replaceChildren(
    ...jobs.map((j) => {
      const tr = row(["[" + j.a + ", " + j.b + ")", statusText(j), j.sum || ""]);
      tr.tabIndex = 0;
      tr.addEventListener("click", () => select(j.id));
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") select(j.id);
      });
      if (j.id === state.current) tr.setAttribute("aria-current", "true");
      return tr;
    })
  );
  const job = jobs.find((j) => j.id === state.current);
  $("current").hidden = !job;
  if (!job) return;
  $("current-id").textContent = job.id;
  $("current-range").textContent = "[" + job.a + ", " + job.b + ")";
  $("current-progress").value = job.status === "FINISHED" ? 1 : job.progress || 0;
  $("current-status").textContent = statusText(job);
  $("current-sum").textContent = job.sum || "–";
  // Retry-After is whole seconds: 1 means "a second or less".
  $("current-estimate").textContent = job.estimate ? (job.estimate <= 1 ? "1 s or less" : "about " + job.estimate + " s") : "–";
  // The worker is REPLICA-N: its replica is the name before the last dash.
  $("current-worker").textContent = job.worker ? job.worker.replace(/-\d+$/, "") : "–";
  showTrace(job.traceId);
  $("cancel").hidden = isTerminal(job.status);
  showElapsed();
}

// The job's trace id, linked to the tracing UI when the server names one (tracing.link).
function showTrace(traceId) {
  const cell = $("current-trace");
  const link = document.querySelector('meta[name="primesum-trace-link"]').content;
  if (!traceId) {
    cell.textContent = "–";
  } else if (link) {
    const a = document.createElement("a");
    a.href = link.replaceAll("{traceId}", encodeURIComponent(traceId));
    a.rel = "noreferrer";
    a.target = "_blank";
    a.textContent = traceId;
    cell.replaceChildren(a);
  } else {
    cell.textContent = traceId;
  }
}

function select(id) {
  state.current = id;
  render();
}

function showElapsed() {
  const job = state.jobs.find((j) => j.id === state.current);
  if (!job || !job.createdAt) return;
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  $("current-elapsed").textContent = seconds(Math.max(0, (end - Date.parse(job.createdAt)) / 1000));
}

// ---- Start ----

document.addEventListener("DOMContentLoaded", () => {
  $("submit-form").addEventListener("submit", submit);
  $("key-form").addEventListener("submit", useKey);
  $("cancel").addEventListener("click", cancelCurrent);
  loadJobs();
  state.current = state.jobs.length ? state.jobs[0].id : null;
  render();
  follow();
  setInterval(showElapsed, 1000);
});
