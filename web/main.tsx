/** The web view's entry: styles, boot data (page.ts), a frame counter, the app. */
import { render } from 'preact';
import { App } from './app.js';
import type { Boot } from './api.js';
import css from './style.css';

const style = document.createElement('style');
style.textContent = css;
document.head.append(style);

window.__podnet = { frames: 0, flowsReceived: 0 };
const tick = () => {
  window.__podnet.frames++;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);

const boot = JSON.parse(document.getElementById('podnet-boot')!.textContent!) as Boot;
render(<App boot={boot} />, document.getElementById('app')!);
