import { createMemo, For } from "solid-js";
import { Dialog } from "./Dialog.js";
import { describeCombo } from "./shortcut-keys.js";
import { isMac, shortcutList } from "./shortcuts.js";

/** Every shortcut the current screen offers, grouped. */
export function ShortcutsDialog(props: { open: boolean; onClose: () => void }) {
  const groups = createMemo(() => {
    const by = new Map<string, { combo: string; description: string }[]>();
    for (const s of shortcutList()) {
      const list = by.get(s.group) ?? [];
      if (!list.some((x) => x.combo === s.combo)) list.push({ combo: s.combo, description: s.description });
      by.set(s.group, list);
    }
    return [...by.entries()];
  });
  return (
    <Dialog open={props.open} title="Keyboard shortcuts" onClose={props.onClose}>
      <For each={groups()}>
        {([group, list]) => (
          <section class="shortcut-group">
            <h3>{group}</h3>
            <dl>
              <For each={list}>
                {(s) => (
                  <div class="shortcut-row">
                    <dt>
                      <kbd>{describeCombo(s.combo, isMac)}</kbd>
                    </dt>
                    <dd>{s.description}</dd>
                  </div>
                )}
              </For>
            </dl>
          </section>
        )}
      </For>
    </Dialog>
  );
}
