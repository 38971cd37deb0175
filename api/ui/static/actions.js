// Actions on pages call the REST API itself (the same routes the Prefect client uses), so a
// page never has a write path of its own.
//
//   <button data-api-method="POST" data-api-path="/api/…" data-api-body='{"…": …}'
//           data-confirm="Cancel this run?">Cancel</button>
//   <form data-api-method="POST" data-api-path="/api/…" data-then="reload|/path/{id}"> … </form>
//
// Form fields become the JSON body: `name="a.b"` nests, `data-type="json|number|boolean"`
// parses, an empty field with `data-optional` is left out, and checkboxes of one name with
// `data-type="list"` make a list of the values checked. The outcome is announced in the
// nearest [data-action-result], or the page's status region.
"use strict";

(function () {
  function setPath(body, path, value) {
    const keys = path.split(".");
    let target = body;
    for (const key of keys.slice(0, -1)) target = target[key] = target[key] || {};
    target[keys[keys.length - 1]] = value;
  }

  function addToList(body, path, value) {
    const keys = path.split(".");
    let target = body;
    for (const key of keys.slice(0, -1)) target = target[key] = target[key] || {};
    const last = keys[keys.length - 1];
    if (!Array.isArray(target[last])) target[last] = [];
    if (value !== undefined) target[last].push(value);
  }

  function fieldValue(field) {
    const kind = field.dataset.type;
    if (field.type === "checkbox") return field.checked;
    if (kind === "number") return field.value === "" ? null : Number(field.value);
    if (kind === "boolean") return field.value === "true";
    if (kind === "json") return field.value.trim() === "" ? null : JSON.parse(field.value);
    if (kind === "lines") return field.value.split(/\n|,/).map((s) => s.trim()).filter(Boolean);
    return field.value;
  }

  function formBody(form) {
    const body = form.dataset.apiBody ? JSON.parse(form.dataset.apiBody) : {};
    for (const field of form.elements) {
      if (!field.name || field.disabled) continue;
      if (field.type === "radio" && !field.checked) continue;
      if (field.type === "checkbox" && field.dataset.type === "list") {
        addToList(body, field.name, field.checked ? field.value : undefined);
        continue;
      }
      if (field.dataset.optional !== undefined && field.value === "") continue;
      setPath(body, field.name, fieldValue(field));
    }
    return body;
  }

  function announce(origin, text, ok) {
    const region = (origin && origin.closest("[data-action-scope]")?.querySelector("[data-action-result]"))
      || document.getElementById("announcer");
    region.textContent = text;
    region.classList.toggle("bad", !ok);
    region.classList.toggle("good", ok);
  }

  function describeError(status, payload) {
    const detail = payload && payload.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => (d.loc || []).join(".") + ": " + d.msg).join("; ");
    return "HTTP " + status;
  }

  async function send(element, body) {
    const method = element.dataset.apiMethod || "POST";
    const options = { method, headers: {} };
    if (body !== undefined && method !== "GET" && method !== "DELETE") {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(element.dataset.apiPath, options);
    const text = await response.text();
    let payload = null;
    try { payload = text ? JSON.parse(text) : null; } catch (_) { payload = text; }
    if (!response.ok) throw new Error(describeError(response.status, payload));
    // A set_state that the orchestration rules did not accept answers 2xx with its reason.
    if (payload && payload.status && payload.status !== "ACCEPT" && payload.details) {
      throw new Error(payload.details.reason || payload.status);
    }
    return payload;
  }

  function then(element, payload) {
    const next = element.dataset.then;
    if (!next) { if (window.signalboxRefresh) window.signalboxRefresh(); return; }
    if (next === "reload") { window.location.reload(); return; }
    window.location.assign(next.replace("{id}", payload && payload.id ? payload.id : ""));
  }

  document.addEventListener("click", async (click) => {
    const button = click.target.closest("button[data-api-path]");
    if (!button || button.form?.dataset.apiPath) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    try {
      const body = button.dataset.apiBody ? JSON.parse(button.dataset.apiBody) : undefined;
      const payload = await send(button, body);
      announce(button, button.dataset.done || "Done.", true);
      then(button, payload);
    } catch (error) {
      announce(button, error.message, false);
    } finally {
      button.disabled = false;
    }
  });

  document.addEventListener("submit", async (submit) => {
    const form = submit.target.closest("form[data-api-path]");
    if (!form) return;
    submit.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    let body;
    try {
      body = formBody(form);
    } catch (error) {
      announce(form, "Not valid JSON: " + error.message, false);
      return;
    }
    try {
      const payload = await send(form, body);
      announce(form, form.dataset.done || "Saved.", true);
      then(form, payload);
    } catch (error) {
      announce(form, error.message, false);
    }
  });
})();
