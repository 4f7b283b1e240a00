// The page's script: pick a chain or chat, send, read the answer as it streams (SSE over
// fetch), show a chat session's history. Plain JavaScript, no build step; every text from
// the service is set with textContent, never parsed as HTML.
"use strict";

const CHAT = "chat";
const KEY_ITEM = "llmchain.apiKey"; // sessionStorage: gone when the tab closes
const SESSION_ITEM = "llmchain.session";
const HISTORY_PAGE = 50;

const $ = (id) => document.getElementById(id);
const ui = {
  key: $("api-key"), target: $("target"), session: $("session"),
  sessionRow: $("session-row"), description: $("description"), form: $("ask"),
  fields: $("fields"), send: $("send"), stop: $("stop"), status: $("status"),
  answer: $("answer"), historyBox: $("history-box"), history: $("history"), older: $("older"),
};
let chains = {}; // name -> {name, description, input_variables, output}
let running = null; // the AbortController of the request under way
let olderCursor = null; // `before` of the oldest history page shown

function headers(json) {
  const h = {};
  const key = ui.key.value.trim();
  if (key) h.Authorization = "Bearer " + key; // app/api/auth.py: Bearer or X-API-Key
  if (json) h["Content-Type"] = "application/json";
  return h;
}

function say(text, isError) {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", Boolean(isError));
}

// The service's error body is {"error": {"type", "message", ...}}; say what it says.
async function failure(response) {
  let detail = response.statusText;
  try {
    const body = await response.json();
    if (body && body.error) detail = `${body.error.type}: ${body.error.message}`;
  } catch (_) { /* not JSON: keep the status text */ }
  if (response.status === 401) detail += " (type the service's API key above)";
  return new Error(`${response.status} ${detail}`);
}

async function getJSON(path) {
  const response = await fetch(path, { headers: headers(false) });
  if (!response.ok) throw await failure(response);
  return response.json();
}

// Server-sent events from a fetch body: yields {event, data} as each event completes.
async function* sse(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // keep-alive comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
      }
      if (data.length || event !== "message") yield { event, data: data.join("\n") };
    }
  }
}

function showAnswer(text, chunks) {
  ui.answer.textContent = text;
  ui.answer.dataset.chunks = String(chunks);
}

// A chain: POST /v1/chains/{name}/stream, LangServe's events (data..., end or error).
async function runChain(name, input, signal) {
  const response = await fetch(`/v1/chains/${encodeURIComponent(name)}/stream`, {
    method: "POST", headers: headers(true), body: JSON.stringify({ input }), signal,
  });
  if (!response.ok) throw await failure(response);
  let text = "";
  let chunks = 0;
  for await (const { event, data } of sse(response)) {
    if (event === "data") {
      const chunk = JSON.parse(data);
      // Text chains stream pieces to append; JSON chains stream the object so far.
      text = typeof chunk === "string" ? text + chunk : JSON.stringify(chunk, null, 2);
      showAnswer(text, ++chunks);
    } else if (event === "error") {
      const err = JSON.parse(data);
      throw new Error(`${err.status_code} ${err.message}`);
    } else if (event === "end") {
      break;
    }
  }
}

// Chat with memory: the OpenAI route, model "chat", the session as `user`, streamed.
async function runChat(session, message, signal) {
  const body = {
    model: CHAT, user: session, stream: true, messages: [{ role: "user", content: message }],
  };
  const response = await fetch("/v1/chat/completions", {
    method: "POST", headers: headers(true), body: JSON.stringify(body), signal,
  });
  if (!response.ok) throw await failure(response);
  let text = "";
  let chunks = 0;
  for await (const { data } of sse(response)) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data);
    if (chunk.error) throw new Error(`${chunk.error.type}: ${chunk.error.message}`);
    for (const choice of chunk.choices || []) {
      if (choice.delta && choice.delta.content) {
        text += choice.delta.content;
        showAnswer(text, ++chunks);
      }
    }
  }
}

function historyItem(message) {
  const item = document.createElement("li");
  item.className = message.role;
  const role = document.createElement("span");
  role.className = "role";
  role.textContent = message.role;
  item.append(role, document.createTextNode(message.content));
  return item;
}

// GET /v1/chat/{id}: a page of messages, oldest first, and `before` for older ones when
// the service pages (a service without paging sends all messages and no `before`).
async function loadHistory(older) {
  const session = ui.session.value.trim();
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (older && olderCursor != null) query.set("before", String(olderCursor));
  const response = await fetch(
    `/v1/chat/${encodeURIComponent(session)}?${query}`, { headers: headers(false) });
  if (response.status === 404) { // no turn yet in this session
    ui.history.replaceChildren();
    olderCursor = null;
  } else if (!response.ok) {
    throw await failure(response);
  } else {
    const page = await response.json();
    const items = (page.messages || []).map(historyItem);
    if (older) ui.history.prepend(...items);
    else ui.history.replaceChildren(...items);
    olderCursor = page.before ?? null;
  }
  ui.older.hidden = olderCursor == null;
}

function field(name, label, rows) {
  const wrap = document.createElement("label");
  wrap.textContent = label;
  const area = document.createElement("textarea");
  area.name = name;
  area.rows = rows;
  area.required = true;
  wrap.append(area);
  return wrap;
}

function chooseTarget() {
  const name = ui.target.value;
  const chain = chains[name];
  const isChat = name === CHAT;
  ui.fields.replaceChildren(
    ...(isChat ? [field("message", "Message", 3)]
               : chain.input_variables.map((v) => field(v, v, 2))));
  ui.description.textContent = isChat
    ? "Chat with memory: each session keeps its conversation."
    : chain.description;
  ui.sessionRow.hidden = !isChat;
  ui.historyBox.hidden = !isChat;
  const url = new URL(location.href);
  url.searchParams.set("chain", name);
  history.replaceState(null, "", url);
  if (isChat) loadHistory(false).catch((e) => say(e.message, true));
}

async function loadTargets() {
  try {
    const listed = await getJSON("/v1/chains");
    chains = Object.fromEntries(listed.chains.map((c) => [c.name, c]));
  } catch (e) {
    say(`could not list the chains: ${e.message}`, true);
    return;
  }
  const wanted = new URLSearchParams(location.search).get("chain") || ui.target.value;
  const options = [[CHAT, "chat (with memory)"], ...Object.keys(chains).map((n) => [n, n])];
  ui.target.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  if (wanted && (wanted === CHAT || wanted in chains)) ui.target.value = wanted;
  else if (wanted) say(`no chain '${wanted}'; choose one`, true);
  if (!ui.status.classList.contains("error")) say("");
  chooseTarget();
}

async function submit(event) {
  event.preventDefault();
  if (running) return;
  const name = ui.target.value;
  const values = Object.fromEntries(new FormData(ui.form));
  running = new AbortController();
  ui.send.disabled = true;
  ui.stop.disabled = false;
  showAnswer("", 0);
  say("streaming…");
  try {
    if (name === CHAT) {
      sessionStorage.setItem(SESSION_ITEM, ui.session.value.trim());
      await runChat(ui.session.value.trim(), values.message, running.signal);
      await loadHistory(false);
    } else {
      await runChain(name, values, running.signal);
    }
    say("done");
  } catch (e) {
    say(e.name === "AbortError" ? "stopped" : e.message, e.name !== "AbortError");
  } finally {
    running = null;
    ui.send.disabled = false;
    ui.stop.disabled = true;
  }
}

function start() {
  ui.key.value = sessionStorage.getItem(KEY_ITEM) || "";
  ui.session.value = sessionStorage.getItem(SESSION_ITEM)
    || "web-" + crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  ui.key.addEventListener("change", () => {
    sessionStorage.setItem(KEY_ITEM, ui.key.value.trim());
    loadTargets();
  });
  ui.session.addEventListener("change", () => {
    ui.history.replaceChildren();
    if (ui.session.checkValidity()) loadHistory(false).catch((e) => say(e.message, true));
  });
  ui.target.addEventListener("change", chooseTarget);
  ui.form.addEventListener("submit", submit);
  ui.stop.addEventListener("click", () => running && running.abort());
  ui.older.addEventListener("click", () => loadHistory(true).catch((e) => say(e.message, true)));
  loadTargets();
}

start();
