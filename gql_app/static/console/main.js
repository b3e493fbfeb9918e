// The console's entry point: the token field, then the page the path asks for.
import { saveToken, savedToken } from "./api.js";
import { h } from "./dom.js";
import { showSubmit } from "./submit-view.js";
import { showTask } from "./task-view.js";

function wireToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token");
  const status = document.getElementById("token-status");
  input.value = savedToken();
  status.textContent = input.value ? "saved" : "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    status.textContent = saveToken(token) ? (token ? "saved" : "cleared") : "not saved: storage is off";
  });
}

function route(main) {
  const path = window.location.pathname;
  if (path === "/") return showSubmit(main);
  const task = /^\/tasks\/([^/]+)\/?$/.exec(path);
  if (task) return showTask(main, decodeURIComponent(task[1]));
  main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "/" }, "Submit a workload")));
  return null;
}

wireToken();
const main = document.getElementById("main");
Promise.resolve(route(main)).catch((error) => {
  main.append(h("p", { class: "error", role: "alert" }, `The console failed: ${error.message}`));
});
