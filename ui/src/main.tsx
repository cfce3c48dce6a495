import { render } from "solid-js/web";
import { App } from "./app/App.js";
import { installShortcutListener } from "./app/shortcuts.js";
import "./styles.css";

installShortcutListener();
const root = document.getElementById("root") as HTMLElement;
root.textContent = "";
render(() => <App />, root);
