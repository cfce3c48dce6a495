/** Vite's `?raw` imports: the file's text (used to inline the panel form styles into sandboxed frames). */
declare module "*.css?raw" {
  const text: string;
  export default text;
}
