/**
 * `@crealia/ui/sdk`: how a plugin's UI is written. A panel is an ES module exporting
 * `mount(element, sdk)`; the studio calls it when the panel opens and calls the function it
 * returns when the panel closes. Everything the panel may use arrives in `sdk`: nothing to
 * import at run time, so a panel bundles its own framework (or none) and this package is
 * only needed for types and the small helpers below.
 */
export { FRAME_PROTOCOL, isAllowedPreview, isAllowedRequest, parseFrameMessage } from "./protocol.js";
export type {
  Asset,
  AssetKind,
  AssetVersion,
  Derivative,
  HttpMethod,
  JobRecord,
  JobStatus,
  Observable,
  PanelApi,
  PanelDescriptor,
  PanelEditor,
  PanelInfo,
  PanelJobs,
  PanelModule,
  PanelSdk,
  PanelSlot,
  ThemeName,
  ToastKind,
  Unmount,
  Unsubscribe,
} from "./types.js";
export { PANEL_SDK_VERSION, PANEL_SLOTS } from "./types.js";

import type { PanelModule } from "./types.js";

/** Types a panel's `mount` without changing it: `export const mount = definePanel((el, sdk) => …)`. */
export function definePanel(mount: PanelModule["mount"]): PanelModule["mount"] {
  return mount;
}
