// Types of the timeline panel's module (plain JavaScript, loaded by the studio as is) for its tests.
interface PanelClip {
  id: string;
  media: string;
  start: number;
  in: number;
  out: number;
  speed: number;
}
export function headTrim(clip: PanelClip, ds: number, fps: number): { type: "trimClip"; clipId: string; in?: number; start?: number } | null;
export function textPatch(current: Record<string, unknown>, values: Record<string, unknown>): { text: Record<string, unknown> } | null;
export function mount(element: HTMLElement, sdk: unknown): () => void;
