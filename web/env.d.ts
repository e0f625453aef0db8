/** esbuild's text loader: a stylesheet imported as its text (scripts/build-ui.mjs). */
declare module '*.css' {
  const text: string;
  export default text;
}

/** Figures the page records for the browser tests and `npm run bench -- ui`. */
interface PodnetProbe {
  frames: number;
  flowsReceived: number;
  matrixMs?: number;
  matrixDrawn?: number;
}

interface Window {
  __podnet: PodnetProbe;
}
