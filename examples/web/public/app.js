// The page every example backend serves: demo sign-in, then a Refold session token from the
// backend (GET /refold/session), with which Refold's front-end SDK lists and connects the
// applications straight from the browser. The API key never leaves the server.
"use strict";

const $ = (id) => document.getElementById(id);

/** fetch with a JSON answer; a non-2xx throws an Error with the backend's message. */
async function api(path, init = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.message || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

const post = (path, data) =>
  api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data ?? {}) });

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("status").textContent = "";
}

// @cobaltio/cobalt-js 8.0.0 rejects with `new Error(response.statusText)`, dropping the status:
// a 401 is known by its reason phrase, "Unauthorized" over HTTP/1.1. HTTP/2 has no reason
// phrase, so there an empty message may be a 401 too, and is worth one fresh token.
const isUnauthorized = (error) => error?.message === "Unauthorized" || error?.message === "";

async function main() {
  const me = await api("/me");
  if (!me.user) {
    $("status").textContent = "Sign in to manage your integrations.";
    $("signin").hidden = false;
    $("signin").onsubmit = async (event) => {
      event.preventDefault();
      try {
        await post("/signin", { name: new FormData(event.target).get("name") });
        location.reload();
      } catch (error) {
        showError(error.message);
      }
    };
    return;
  }
  $("user").textContent = me.user;
  $("who").hidden = false;
  // Sign-out revokes the user's session token at Refold (the SDK's copy stops working at once)
  // and ends the session; if that fails (or the backend has no such route), it ends the session.
  $("signout").onclick = async () => {
    try {
      await post("/api/session/sign-out");
    } catch {
      await post("/signout");
    }
    location.reload();
  };

  const { token } = await api("/refold/session");
  const cobalt = new CobaltSDK.Cobalt({ token, baseUrl: me.apiBaseUrl });

  // Runs an SDK call; on a 401 (the token expired, or was revoked) asks the backend for a
  // fresh token, once, and runs it again. A backend error (e.g. the account is gone) is shown.
  async function withToken(call) {
    try {
      return await call();
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      cobalt.token = (await api("/refold/session?fresh=1")).token;
      return call();
    }
  }

  async function render() {
    const apps = await withToken(() => cobalt.getApp());
    $("apps").replaceChildren(...apps.map(item));
    const connected = apps.filter((app) => app.connected).length;
    $("status").textContent = `${apps.length} applications, ${connected} connected`;
  }

  async function act(app, call) {
    try {
      $("error").hidden = true;
      await withToken(call);
      await render();
    } catch (error) {
      showError(`${app.name}: ${error.message}`);
    }
  }

  function item(app) {
    const li = document.createElement("li");
    li.dataset.slug = app.slug;
    li.dataset.connected = String(app.connected === true);
    const icon = Object.assign(document.createElement("img"), { src: app.icon, alt: "", width: 40, height: 40 });
    const text = document.createElement("div");
    text.className = "text";
    text.append(Object.assign(document.createElement("h2"), { textContent: app.name }));
    text.append(Object.assign(document.createElement("p"), { textContent: app.description }));
    const badge = Object.assign(document.createElement("span"), {
      className: app.connected ? "badge on" : "badge",
      textContent: app.connected ? "Connected" : "Not connected",
    });
    li.append(icon, text, badge);

    if (app.connected) {
      li.append(button("Disconnect", () => act(app, () => cobalt.disconnect(app.slug))));
    } else if (app.auth_type === "keybased") {
      // The form the application asks for (auth_input_map); the SDK posts it to Refold.
      const form = document.createElement("form");
      for (const field of app.auth_input_map ?? []) {
        const input = Object.assign(document.createElement("input"), {
          name: field.name, type: field.type, placeholder: field.placeholder, required: field.required === true,
        });
        const label = Object.assign(document.createElement("label"), { textContent: `${field.label} ` });
        label.append(input);
        form.append(label);
      }
      form.append(Object.assign(document.createElement("button"), { type: "submit", textContent: "Connect" }));
      form.onsubmit = (event) => {
        event.preventDefault();
        const values = Object.fromEntries([...new FormData(form)].filter(([, value]) => value !== ""));
        act(app, async () => {
          if (!(await cobalt.connect(app.slug, values))) throw new Error("not connected");
        });
      };
      li.append(form);
    } else {
      // OAuth 2: the SDK opens the provider's consent page and polls until it is connected.
      li.append(button("Connect", () => act(app, () => cobalt.connect(app.slug))));
    }
    return li;
  }

  await render();
}

function button(text, onclick) {
  return Object.assign(document.createElement("button"), { type: "button", textContent: text, onclick });
}

main().catch((error) => showError(error.message));
