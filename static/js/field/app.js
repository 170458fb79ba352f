// Xinli field app (/field/): the worker's tasks and forms on the phone, offline.
// Everything about persons lives in the encrypted device store (store.js); the page and the service worker hold
// only the app shell. Forms queue in the store in the order done, each with a client id (the server's idempotency
// key), and sync when a connection returns; the server decides classification, next due day and conflicts.
const config = JSON.parse(document.getElementById("field-config").textContent);
const L = config.labels;
const t = (key, params = {}) => (config.text[key] || key).replace(/%\((\w+)\)s/g, (_m, name) => String(params[name] ?? ""));
const $ = (sel) => document.querySelector(sel);
const csrf = () => document.querySelector("#logout-form input[name=csrfmiddlewaretoken]").value;

let store = null;
let busy = false;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function label(table, code) {
  if (code === null || code === undefined || code === "") return "";
  return (L[table] && L[table][code]) || t("unknown_code");
}

const LANG = document.documentElement.lang.toLowerCase().startsWith("zh") ? "zh-hans" : "en";
function tr(text) {  // an instrument's text: a string, or {"zh-hans": …, "en": …}
  if (text === null || text === undefined) return "";
  return typeof text === "string" ? text : (text[LANG] || text["zh-hans"] || text.en || "");
}

function part(text) {  // a server message "中文 / English": the reader's half
  const s = String(text ?? "");
  const i = s.indexOf(" / ");
  return i < 0 ? s : (LANG === "en" ? s.slice(i + 3) : s.slice(0, i));
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function zhDate(iso) {  // 2026-12-05 → 2026年12月5日 (the site writes dates so in Chinese)
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return LANG === "zh-hans" ? `${y}年${m}月${d}日` : iso.slice(0, 10);
}

// ---------------------------------------------------------------------------------------------- the server

async function api(path, options = {}) {
  const device = store && (await store.get("meta:device"));
  const headers = {"Accept": "application/json", "X-CSRFToken": csrf(), ...(options.headers || {})};
  if (device) headers["X-Field-Device"] = device;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, {credentials: "same-origin", ...options, headers});
  let body = null;
  try { body = await response.json(); } catch (_e) { body = null; }
  if (response.status === 410 && body && body.wipe) {
    await wipe(t("device_revoked"));
    throw new Error(t("device_revoked"));
  }
  if (!response.ok) {
    const detail = body && (body.detail || body.message || errorsText(body));
    throw new Error(detail ? part(detail) : `HTTP ${response.status}`);
  }
  return body;
}

async function ensureDevice() {
  if (await store.get("meta:device")) return;
  const made = await api("/api/v1/field/devices/", {method: "POST", json: {label: (navigator.userAgentData && navigator.userAgentData.platform) || t("this_phone")}});
  await store.put("meta:device", made.public_id);
}

// ---------------------------------------------------------------------------------------------- state bar

async function showState(message = "", failed = false) {
  const queue = store ? await store.list("queue:") : [];
  const last = store ? await store.get("meta:last_sync") : null;
  const parts = [t("waiting", {n: queue.length}), last ? t("last_sync", {time: new Date(last).toLocaleString()}) : t("never_synced")];
  if (!navigator.onLine) parts.push(t("offline"));
  if (message) parts.push(message);
  const bar = $("#sync-state");
  bar.textContent = parts.join(" · ");
  bar.classList.toggle("failed", failed);
}

// ---------------------------------------------------------------------------------------------- lists

async function render() {
  const pack = await store.get("pack:current");
  const persons = Object.fromEntries(((pack && pack.persons) || []).map((p) => [p.id, p]));
  const queued = await store.list("queue:");
  const doneTasks = new Set(queued.map((q) => q.value.task_key).filter(Boolean));
  const list = $("#tasks");
  list.replaceChildren();
  const tasks = (pack && pack.tasks) || [];
  if (!tasks.length) list.append(el("li", {}, pack ? t("no_tasks") : t("no_pack")));
  for (const task of tasks) {
    const person = persons[task.person] || {};
    const last = person.last_visit;
    const filled = doneTasks.has(taskKey(task));  // its form is on the phone, waiting to sync
    list.append(el("li", {class: filled ? "filled" : (task.overdue ? "overdue" : ""), "data-kind": task.kind, "data-filled": filled ? "1" : null},
      el("div", {class: "title"}, label("kind", task.kind) || L.kind.other, " · ", person.name || "", " ",
         filled ? el("span", {class: "done-mark"}, t("filled")) : (task.overdue ? el("span", {class: "badge"}, t("overdue")) : null)),
      el("div", {class: "meta"}, t("due_on", {date: zhDate(task.due)})),
      person.address ? el("div", {class: "meta"}, t("address"), person.address) : null,
      last ? el("div", {class: "meta"}, t("last_visit", {date: zhDate(last.date), mode: label("mode", last.mode),
                                                           classification: label("classification", last.classification) || "—",
                                                           adherence: label("adherence", last.adherence) || "—"})) : null,
      el("div", {class: "buttons"}, ...formButtons(task, person, filled))));
  }
  const queue = $("#queue");
  queue.replaceChildren();
  if (!queued.length) queue.append(el("li", {}, t("queue_empty")));
  for (const {key, value} of queued) {
    queue.append(el("li", {"data-client-id": value.client_id},
      el("div", {class: "title"}, value.title),
      el("div", {class: "meta"}, t("saved_at", {time: new Date(value.device_time).toLocaleString()})),
      value.score ? el("div", {class: "meta"}, value.score) : null,
      value.errors ? el("div", {class: "error", role: "alert"}, value.errors) : el("div", {class: "meta"}, t("computed_at_sync")),
      value.errors ? el("div", {class: "buttons"}, el("button", {type: "button", onclick: () => removeQueued(key)}, t("discard"))) : null));
  }
  const done = $("#done");
  done.replaceChildren();
  for (const {value} of (await store.list("done:")).reverse().slice(0, 30)) {
    done.append(el("li", {"data-client-id": value.client_id, "data-outcome": value.outcome},
      el("div", {class: "title"}, value.title),
      el("div", {class: value.outcome === "stored" ? "ok" : "conflict"}, value.message)));
  }
  await showState();
}

async function noteRead(view, personIds) {
  // What the phone showed, from its store: sent with the next sync so the server audits each person read offline
  // with the device's time and its own.
  if (!store || !personIds.length) return;
  const time = new Date().toISOString();
  await store.put(`reads:${time}:${Math.random().toString(36).slice(2, 8)}`, personIds.map((person) => ({person, view, device_time: time})));
}

function taskKey(task) { return `${task.record.type}:${task.record.id}`; }

function formButtons(task, person, filled) {
  const buttons = [];
  const open = (fn) => () => { formPerson = person.id; return fn(task, person); };
  if (task.kind === "smd_follow_up" && person.smd_patient && !filled) buttons.push(el("button", {type: "button", class: "primary", onclick: open(followUpForm)}, t("record_follow_up")));
  if (task.kind === "smd_emergency" && !filled) buttons.push(el("button", {type: "button", class: "primary", onclick: open(emergencyForm)}, t("complete_emergency")));
  if (task.kind === "crisis_follow_up" && !filled) buttons.push(el("button", {type: "button", class: "primary", onclick: open(crisisFollowUpForm)}, t("crisis_follow_up")));
  if (task.kind === "transfer" && !filled) buttons.push(el("button", {type: "button", class: "primary", onclick: open(transferForm)}, t("decide_transfer")));
  if (task.kind === "plan_review" && !filled) buttons.push(el("button", {type: "button", class: "primary", onclick: open(planReviewForm)}, t("review_plan")));
  if (config.may_assess) buttons.push(el("button", {type: "button", onclick: open(assessmentForm)}, t("assessment")));
  buttons.push(el("button", {type: "button", onclick: open(noteForm)}, t("home_visit_note")));
  buttons.push(el("button", {type: "button", onclick: open(concernForm)}, t("concern")));
  buttons.push(el("button", {type: "button", onclick: open(photoForm)}, t("photo")));
  return buttons;
}

// ---------------------------------------------------------------------------------------------- forms

function select(name, table, {required = false, blank = true} = {}) {
  return el("select", {id: `f-${name}`, name, required},
    blank ? el("option", {value: ""}, t("choose")) : null,
    ...Object.entries(L[table]).map(([value, text]) => el("option", {value}, text)));
}

function field(name, text, control) { return [el("label", {for: `f-${name}`}, text), control]; }

let formPerson = null;  // the person whose form is open (set by the button that opened it)

function openForm(title, controls, onSubmit) {
  if (formPerson) noteRead("form", [formPerson]);
  const section = $("#form");
  const error = el("p", {class: "error", role: "alert", id: "form-error"});
  const form = el("form", {class: "field-form", novalidate: true}, el("h2", {}, title), ...controls, error,
    el("div", {class: "actions"}, el("button", {type: "submit"}, t("save_to_queue")),
                                  el("button", {type: "button", class: "secondary", onclick: closeForm}, t("back"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => typeof v === "string"));
    const problem = await onSubmit(data, form);
    if (problem) { error.textContent = problem; return; }
    closeForm();
    await render();
    if (navigator.onLine) syncNow();
  });
  section.replaceChildren(form);
  $("#today").hidden = true;
  section.hidden = false;
  form.querySelector("input, select, textarea").focus();
}

function closeForm() { $("#form").hidden = true; $("#form").replaceChildren(); $("#today").hidden = false; }

function missing(data, names) {
  for (const [name, text] of names) if (!String(data[name] ?? "").trim()) return t("required", {field: text});
  return null;
}

async function enqueue(kind, payload, title, task, extra = {}) {
  const seq = String((await store.get("meta:seq")) || 0).padStart(6, "0");
  await store.put("meta:seq", Number(seq) + 1);
  const closes = kind === "smd_follow_up" || extra.closes;
  await store.put(`queue:${seq}`, {client_id: crypto.randomUUID(), kind, payload, title, device_time: new Date().toISOString(),
                                   base_version: closes && task ? task.version : "", task_key: closes && task ? taskKey(task) : null,
                                   score: extra.score || null});
}

function followUpForm(task, person) {
  openForm(`${t("record_follow_up")} · ${person.name}`, [
    ...field("date", t("date"), el("input", {id: "f-date", name: "date", type: "date", value: today(), max: today(), required: true})),
    ...field("mode", t("mode"), select("mode", "mode", {required: true})),
    ...field("risk", t("risk"), el("select", {id: "f-risk", name: "risk"}, el("option", {value: ""}, t("choose")),
      ...[0, 1, 2, 3, 4, 5].map((n) => el("option", {value: String(n)}, t("risk_level", {n}))))),
    ...field("insight", t("insight"), select("insight", "insight")),
    ...field("adherence", t("adherence"), select("adherence", "adherence")),
    ...field("sleep", t("sleep"), select("sleep", "level3")),
    ...field("diet", t("diet"), select("diet", "level3")),
    ...field("lost_reason", t("lost_reason"), select("lost_reason", "lost")),
    el("details", {}, el("summary", {}, t("more")),
      el("fieldset", {}, el("legend", {}, t("symptoms")), ...Object.entries(L.symptoms).map(([code, text]) =>
        el("label", {for: `f-sym-${code}`}, el("input", {type: "checkbox", id: `f-sym-${code}`, name: "symptom", value: code}), text))),
      el("fieldset", {}, el("legend", {}, t("obvious")),
        el("label", {for: "f-obvious"}, el("input", {type: "checkbox", id: "f-obvious", name: "psychotic_symptoms_obvious", value: "1"}), t("obvious"))),
      ...Object.entries(L.social).map(([code, text]) => field(`social_${code}`, `${t("social")} · ${text}`, select(`social_${code}`, "level3"))).flat(),
      ...field("hospitalised", t("hospitalised"), select("hospitalised", "hospitalised")),
      el("fieldset", {}, el("legend", {}, t("reactions_illness")),
        el("label", {for: "f-acute"}, el("input", {type: "checkbox", id: "f-acute", name: "acute_adverse_reaction", value: "1"}), t("acute_reaction")),
        el("label", {for: "f-illness"}, el("input", {type: "checkbox", id: "f-illness", name: "serious_physical_illness", value: "1"}), t("physical_illness"))),
      el("fieldset", {}, el("legend", {}, t("incidents")), ...Object.entries(L.incidents).map(([code, text]) =>
        el("label", {for: `f-inc-${code}`}, el("input", {type: "number", id: `f-inc-${code}`, name: `incident_${code}`, min: 0, max: 999, inputmode: "numeric"}), text))),
      ...field("locked", t("locked_up"), select("locked", "locked")),
      ...field("labs", t("labs"), el("input", {id: "f-labs", name: "labs", type: "text", maxlength: 2000})),
      ...field("effect", t("effect"), select("effect", "effect")),
      el("fieldset", {}, el("legend", {}, t("rehab")), ...Object.entries(L.rehab).map(([code, text]) =>
        el("label", {for: `f-rehab-${code}`}, el("input", {type: "checkbox", id: `f-rehab-${code}`, name: "rehab", value: code}), text))),
      ...field("medications", t("medications"), el("textarea", {id: "f-medications", name: "medications", rows: 3})),
      ...field("referral_institution", t("referral_institution"), el("input", {id: "f-referral_institution", name: "referral_institution", type: "text", maxlength: 100})),
      ...field("referral_reason", t("referral_reason"), el("input", {id: "f-referral_reason", name: "referral_reason", type: "text", maxlength: 2000})),
      ...field("death_date", t("death_date"), el("input", {id: "f-death_date", name: "death_date", type: "date", max: today()})),
      ...field("death_cause", t("death_cause"), el("input", {id: "f-death_cause", name: "death_cause", type: "text", maxlength: 100}))),
    el("p", {class: "meta"}, t("computed_at_sync")),
  ], async (data, form) => {
    const lost = data.lost_reason;
    const died = data.death_date;
    const need = [["date", t("date")], ["mode", t("mode")]];
    if (died) need.push(["death_cause", t("death_cause")]);
    else if (!lost) need.push(["risk", t("risk")], ["insight", t("insight")], ["adherence", t("adherence")]);
    const problem = missing(data, need);
    if (problem) return problem;
    if (data.date > today()) return t("not_future", {field: t("date")});
    const followUp = {date: data.date, mode: data.mode};
    if (died) Object.assign(followUp, {death_date: died, death_cause: data.death_cause});
    else if (lost) followUp.lost_reason = lost;
    else Object.assign(followUp, {risk: Number(data.risk), insight: data.insight, adherence: data.adherence});
    for (const name of ["sleep", "diet", "hospitalised", "referral_institution", "referral_reason", "locked", "labs", "effect"]) {
      if (data[name]) followUp[name] = data[name].trim();
    }
    const incidents = {};
    for (const code of Object.keys(L.incidents)) {
      const value = (data[`incident_${code}`] || "").trim();
      if (!value) continue;
      if (!/^\d{1,3}$/.test(value)) return t("whole_number", {field: `${t("incidents")} · ${L.incidents[code]}`});
      if (Number(value) > 0) incidents[code] = Number(value);
    }
    if (Object.keys(incidents).length) followUp.incidents = incidents;
    const rehab = [...form.querySelectorAll("input[name=rehab]:checked")].map((box) => box.value);
    if (rehab.length) followUp.rehabilitation = rehab;
    const symptoms = [...form.querySelectorAll("input[name=symptom]:checked")].map((box) => box.value);
    if (symptoms.length) followUp.symptoms = symptoms;
    const social = Object.fromEntries(Object.keys(L.social).filter((code) => data[`social_${code}`]).map((code) => [code, data[`social_${code}`]]));
    if (Object.keys(social).length) followUp.social_function = social;
    for (const name of ["psychotic_symptoms_obvious", "acute_adverse_reaction", "serious_physical_illness"]) if (data[name]) followUp[name] = true;
    const medications = (data.medications || "").split("\n").map((line) => line.trim()).filter(Boolean)
      .map((line) => { const [name = "", dose = "", usage = ""] = line.replace(/，/g, ",").split(",").map((x) => x.trim()); return {name, dose, usage}; });
    if (medications.length) followUp.medications = medications;
    await enqueue("smd_follow_up", {patient: person.smd_patient, task: task.record.type === "smd.task" ? task.record.id : null, follow_up: followUp},
                  `${t("record_follow_up")} · ${person.name} · ${zhDate(data.date)}`, task);
    return null;
  });
}

async function instruments() {
  let cached = await store.get("meta:instruments");
  if (!cached && navigator.onLine) {
    cached = (await api("/api/v1/field/instruments/")).instruments;
    await store.put("meta:instruments", cached);
  }
  return cached || [];
}

async function assessmentForm(task, person) {
  const list = await instruments();
  if (!list.length) { await showState(t("no_instruments"), true); return; }
  const chooser = el("select", {id: "f-scale", name: "scale", required: true}, el("option", {value: ""}, t("choose")),
    ...list.map((i) => el("option", {value: i.code}, tr(i.definition.name) || i.code)));
  const items = el("div", {id: "items"});
  const result = el("p", {class: "score", role: "status", id: "score"});
  let compiled = null;
  const sex = {M: "male", F: "female"}[person.sex] || null;
  const rescore = () => {
    if (!compiled) return;
    const answers = collect(items);
    try {
      const r = XinliScore.score(compiled, answers, {sex});
      result.textContent = t("score", {total: r.total, band: tr(r.band_label) || r.band || ""});
    } catch (e) {
      result.textContent = (LANG === "en" ? e.en : e.zh) || String(e);
    }
  };
  chooser.addEventListener("change", () => {
    const chosen = list.find((i) => i.code === chooser.value);
    items.replaceChildren();
    compiled = chosen ? chosen.definition : null;
    if (!chosen) return;
    for (const item of chosen.definition.items || []) {
      const options = typeof item.options === "string" ? (chosen.definition.option_sets || {})[item.options] || [] : item.options || [];
      const box = el("fieldset", {}, el("legend", {}, `${item.id}. ${tr(item.text)}`));
      for (const option of options) {
        const id = `q-${item.id}-${option.value}`;
        box.append(el("label", {for: id}, el("input", {type: "radio", id, name: `q${item.id}`, value: String(option.value), "data-item": item.id, onchange: rescore}),
                      tr(option.label) || String(option.value)));
      }
      items.append(box);
    }
    rescore();
  });
  openForm(`${t("assessment")} · ${person.name}`, [...field("scale", t("instrument"), chooser), items, result], async (data) => {
    if (!data.scale) return t("required", {field: t("instrument")});
    const answers = collect(items);
    try {
      XinliScore.score(compiled, answers, {sex});
    } catch (e) {
      return (LANG === "en" ? e.en : e.zh) || String(e);
    }
    const payload = {person: person.id, scale: data.scale, answers};
    if (sex) payload.sex = sex;
    await enqueue("assessment", payload, `${t("assessment")} · ${person.name} · ${tr(list.find((i) => i.code === data.scale).definition.short_name) || data.scale}`,
                  task, {score: result.textContent});
    return null;
  });
}

function collect(items) {
  const answers = {};
  for (const input of items.querySelectorAll("input[type=radio]:checked")) answers[input.dataset.item] = Number(input.value);
  return answers;
}

function noteForm(task, person) {
  openForm(`${t("home_visit_note")} · ${person.name}`, [
    ...field("date", t("date"), el("input", {id: "f-date", name: "date", type: "date", value: today(), max: today(), required: true})),
    ...field("text", t("note_text"), el("textarea", {id: "f-text", name: "text", rows: 5, required: true})),
    ...field("next", t("next_visit"), el("input", {id: "f-next", name: "next", type: "date", min: today()})),
  ], async (data) => {
    const problem = missing(data, [["date", t("date")], ["text", t("note_text")]]);
    if (problem) return problem;
    const payload = {person: person.id, date: data.date, text: data.text};
    if (task.kind === "home_visit") payload.visit = task.record.id;
    if (data.next) payload.next_visit = {date: data.next, purpose: ""};
    await enqueue("home_visit_note", payload, `${t("home_visit_note")} · ${person.name} · ${zhDate(data.date)}`, task,
                  {closes: task.kind === "home_visit"});
    return null;
  });
}

function emergencyForm(task, person) {
  openForm(`${t("complete_emergency")} · ${person.name}`, [
    el("p", {class: "meta"}, t("complete_by", {time: new Date(task.complete_by).toLocaleString()})),
    ...field("actions", t("actions"), el("textarea", {id: "f-actions", name: "actions", rows: 4, required: true})),
    ...field("outcome", t("outcome"), el("textarea", {id: "f-outcome", name: "outcome", rows: 3, required: true})),
    el("fieldset", {}, el("legend", {}, t("who_helped")),
      el("label", {for: "f-police"}, el("input", {type: "checkbox", id: "f-police", name: "police", value: "1"}), t("police")),
      el("label", {for: "f-ambulance"}, el("input", {type: "checkbox", id: "f-ambulance", name: "ambulance", value: "1"}), t("ambulance"))),
  ], async (data) => {
    const problem = missing(data, [["actions", t("actions")], ["outcome", t("outcome")]]);
    if (problem) return problem;
    await enqueue("emergency_complete", {emergency: task.record.id, actions: data.actions, outcome: data.outcome,
                                             police: Boolean(data.police), ambulance: Boolean(data.ambulance)},
                  `${t("complete_emergency")} · ${person.name}`, task, {closes: true});
    return null;
  });
}

function crisisFollowUpForm(task, person) {
  openForm(`${t("crisis_follow_up")} · ${person.name}`, [
    ...field("note", t("crisis_note"), el("textarea", {id: "f-note", name: "note", rows: 5, required: true})),
  ], async (data) => {
    const problem = missing(data, [["note", t("crisis_note")]]);
    if (problem) return problem;
    await enqueue("crisis_contact", {follow_up: task.record.id, note: data.note}, `${t("crisis_follow_up")} · ${person.name}`,
                  task, {closes: true});
    return null;
  });
}

function transferForm(task, person) {
  openForm(`${t("decide_transfer")} · ${person.name}`, [
    el("p", {class: "meta"}, t("transfer_from_to", {from: task.from_unit || "", to: task.to_unit || ""})),
    ...field("decision", t("decision"), el("select", {id: "f-decision", name: "decision", required: true},
      el("option", {value: ""}, t("choose")), el("option", {value: "accept"}, t("accept")), el("option", {value: "return"}, t("return")))),
    ...field("reason", t("return_reason"), el("textarea", {id: "f-reason", name: "reason", rows: 3})),
  ], async (data) => {
    const problem = missing(data, data.decision === "return" ? [["decision", t("decision")], ["reason", t("return_reason")]] : [["decision", t("decision")]]);
    if (problem) return problem;
    const payload = {transfer: task.record.id, decision: data.decision};
    if (data.decision === "return") payload.reason = data.reason;
    await enqueue("transfer_decision", payload, `${t("decide_transfer")} · ${person.name} · ${data.decision === "accept" ? t("accept") : t("return")}`,
                  task, {closes: true});
    return null;
  });
}

function planReviewForm(task, person) {
  openForm(`${t("review_plan")} · ${person.name}`, [
    ...field("next_review", t("next_review"), el("input", {id: "f-next_review", name: "next_review", type: "date", min: today()})),
    el("fieldset", {}, el("legend", {}, t("close_plan")),
      el("label", {for: "f-close"}, el("input", {type: "checkbox", id: "f-close", name: "close", value: "1"}), t("close_plan_box"))),
    ...field("note", t("review_note"), el("textarea", {id: "f-note", name: "note", rows: 3})),
  ], async (data) => {
    if (!data.close && !data.next_review) return t("required", {field: t("next_review")});
    if (!data.close && data.next_review <= today()) return t("after_today", {field: t("next_review")});
    const payload = {plan: task.record.id, note: data.note || ""};
    if (data.close) payload.close = true; else payload.next_review = data.next_review;
    await enqueue("plan_review", payload, `${t("review_plan")} · ${person.name}`, task, {closes: true});
    return null;
  });
}

function areaConcernForm() {
  // A concern about someone not in the task pack (or not in the archive): reported for one of the worker's areas.
  formPerson = null;
  openForm(t("area_concern"), [
    ...field("unit", t("area"), el("select", {id: "f-unit", name: "unit", required: true},
      ...config.units.map((u) => el("option", {value: String(u.id)}, u.name)))),
    ...field("level", t("level"), select("level", "level", {required: true})),
    ...field("summary", t("summary"), el("textarea", {id: "f-summary", name: "summary", rows: 4, required: true})),
  ], async (data) => {
    const problem = missing(data, [["unit", t("area")], ["level", t("level")], ["summary", t("summary")]]);
    if (problem) return problem;
    const unit = config.units.find((u) => String(u.id) === data.unit);
    await enqueue("concern", {org_unit: Number(data.unit), level: data.level, summary: data.summary}, `${t("concern")} · ${unit ? unit.name : ""}`, null);
    return null;
  });
}

function concernForm(task, person) {
  openForm(`${t("concern")} · ${person.name}`, [
    ...field("level", t("level"), select("level", "level", {required: true})),
    ...field("summary", t("summary"), el("textarea", {id: "f-summary", name: "summary", rows: 4, required: true})),
  ], async (data) => {
    const problem = missing(data, [["level", t("level")], ["summary", t("summary")]]);
    if (problem) return problem;
    await enqueue("concern", {person: person.id, level: data.level, summary: data.summary}, `${t("concern")} · ${person.name}`, task);
    return null;
  });
}

const MAX_PHOTO = 600 * 1024;  // the server's limit (XINLI_FIELD_MAX_PHOTO_BYTES)

function readAsDataURL(file) {
  return new Promise((ok, ko) => { const r = new FileReader(); r.onload = () => ok(r.result); r.onerror = () => ko(r.error); r.readAsDataURL(file); });
}

async function shrink(file) {
  // A photo of a paper form, made small enough for the phone's store and the server: at most 1600 px on its longer
  // side, JPEG, the quality lowered until it fits in 600 KB. Read as a data: URL (the page's policy allows no blob:).
  const image = new Image();
  image.src = await readAsDataURL(file);
  await image.decode();
  let scale = Math.min(1, 1600 / Math.max(image.naturalWidth, image.naturalHeight));
  const canvas = document.createElement("canvas");
  for (let quality = 0.8; ; quality -= 0.15) {
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    const data = canvas.toDataURL("image/jpeg", Math.max(quality, 0.3)).split(",")[1];
    if (data.length * 3 / 4 <= MAX_PHOTO) return data;
    if (quality <= 0.3) scale *= 0.7;
  }
}

function photoForm(task, person) {
  const about = task.record.type === "smd.task" && person.smd_patient ? {type: "smd.patient", id: person.smd_patient} : null;
  openForm(`${t("photo")} · ${person.name}`, [
    ...field("photo", t("photo_file"), el("input", {id: "f-photo", name: "photo", type: "file", accept: "image/jpeg,image/png", capture: "environment", required: true})),
    ...field("text", t("photo_text"), el("input", {id: "f-text", name: "text", type: "text", maxlength: 200})),
  ], async (data, form) => {
    const file = form.querySelector("#f-photo").files[0];
    if (!file) return t("required", {field: t("photo_file")});
    let encoded;
    try { encoded = await shrink(file); } catch (_e) { return t("photo_unreadable"); }
    const payload = {person: person.id, content_type: "image/jpeg", data: encoded, text: data.text || ""};
    if (about) payload.about = about;
    await enqueue("attachment_photo", payload, `${t("photo")} · ${person.name}`, task);
    return null;
  });
}

async function removeQueued(key) { await store.delete(key); await render(); }

// ---------------------------------------------------------------------------------------------- download, sync

async function download() {
  if (!navigator.onLine) { await showState(t("needs_connection"), true); return; }
  try {
    await showState(t("downloading"));
    await ensureDevice();
    await store.put("pack:current", await api("/api/v1/field/pack/?days=7"));
    await instruments();
    await render();
    await showState(t("downloaded"));
  } catch (e) {
    await showState(t("download_failed", {reason: e.message}), true);
  }
}

function errorsText(errors) {
  if (!errors) return "";
  return Object.entries(errors).map(([name, messages]) => {
    const text = [].concat(messages).map((m) => part(typeof m === "string" ? m : JSON.stringify(m))).join(" ");
    return name === "non_field_errors" || !L.fields[name] ? text : `${L.fields[name]}：${text}`;
  }).join("；");
}

async function syncNow() {
  if (busy || !store) return;
  if (!navigator.onLine) { await showState(t("needs_connection"), true); return; }
  busy = true;
  try {
    await ensureDevice();
    const queued = await store.list("queue:");
    const reads = await store.list("reads:");
    if (reads.length) {  // the persons shown offline, audited by the server; then forgotten here
      const rows = reads.flatMap((r) => r.value).slice(0, 2000);
      await api("/api/v1/field/sync/", {method: "POST", json: {items: [], reads: rows}});
      for (const r of reads) await store.delete(r.key);
    }
    for (let i = 0; i < queued.length; i += 100) {
      const batch = queued.slice(i, i + 100);
      const answer = await api("/api/v1/field/sync/", {method: "POST", json: {items: batch.map(({value}) => ({
        client_id: value.client_id, kind: value.kind, device_time: value.device_time, base_version: value.base_version || "", payload: value.payload}))}});
      for (let j = 0; j < batch.length; j++) {
        const {key, value} = batch[j];
        const outcome = answer.items[j] || {};
        if (outcome.outcome === "refused") {
          await store.put(key, {...value, errors: errorsText(outcome.errors)});
          continue;
        }
        await store.delete(key);
        await store.put(`done:${key.slice(6)}`, {client_id: value.client_id, title: value.title, outcome: outcome.outcome,
                                                 message: outcomeText(outcome)});
      }
    }
    await store.put("meta:last_sync", new Date().toISOString());
    await store.markSynced();
    await render();
  } catch (e) {
    await showState(t("sync_failed", {reason: e.message}), true);
  } finally {
    busy = false;
  }
}

function outcomeText(outcome) {
  if (outcome.outcome === "conflict") return part(outcome.message) || t("kept_as_note");
  const r = outcome.result || {};
  if (r.classification !== undefined || r.next_due !== undefined) {
    return t("stored_follow_up", {classification: label("classification", r.classification) || "—", next_due: r.next_due ? zhDate(r.next_due) : "—"});
  }
  if (r.total !== undefined) return t("stored_assessment", {total: r.total, band: r.band_label || r.band || ""});
  if (r.alert !== undefined) return t("stored_concern");
  if (r.note !== undefined) return t("stored_note");
  if (r.transfer !== undefined) return r.status === "accepted" ? t("stored_accepted") : t("stored_returned");
  if (r.plan !== undefined) return r.state === "closed" ? t("stored_plan_closed") : t("stored_plan", {date: zhDate(r.review_on)});
  return t("stored");
}

// ---------------------------------------------------------------------------------------------- unlock, wipe

async function wipe(reason) {
  try { if (store) await store.wipe(); else await XinliStore.wipe(config.user); } catch (_e) { /* nothing left to erase */ }
  store = null;
  $("#today").hidden = true;
  $("#unlock").hidden = false;
  $("#unlock-error").textContent = reason || "";
  $("#sync-state").textContent = reason || t("locked");
}

async function unlock(password) {
  try {
    store = await XinliStore.open(config.user, password, {ttlHours: config.ttl_hours});
  } catch (e) {
    $("#unlock-error").textContent = (LANG === "en" ? e.en : e.zh) || String(e);
    return;
  }
  $("#unlock").hidden = true;
  $("#today").hidden = false;
  await render();
  const pack = await store.get("pack:current");
  if (pack) await noteRead("today", pack.persons.map((p) => p.id));
  if (navigator.onLine && !(await store.get("pack:current"))) await download();
}

document.addEventListener("DOMContentLoaded", () => {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", {scope: "/field/"}).catch(() => {});
  $("#unlock-form").addEventListener("submit", (event) => { event.preventDefault(); unlock($("#unlock-password").value); $("#unlock-password").value = ""; });
  $("#download").addEventListener("click", download);
  $("#sync").addEventListener("click", syncNow);
  $("#area-concern").addEventListener("click", areaConcernForm);
  $("#area-concern").hidden = !config.units.length;
  $("#logout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await wipe();
    event.target.submit();
  });
  window.addEventListener("online", () => { showState(); syncNow(); });
  window.addEventListener("offline", () => showState());
  if (!config.may_sync) $("#unlock-error").textContent = t("no_field_role");
});
