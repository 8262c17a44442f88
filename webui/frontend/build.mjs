// Builds webui/frontend/dist: the dashboard sources plus uPlot from node_modules (no CDN: the box
// has no internet). The result is committed and embedded into the emsgw binary by CMake.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
for (const f of readdirSync(join(here, 'src'))) copyFileSync(join(here, 'src', f), join(dist, f));
const uplot = join(here, 'node_modules', 'uplot', 'dist');
copyFileSync(join(uplot, 'uPlot.iife.min.js'), join(dist, 'uPlot.iife.min.js'));
copyFileSync(join(uplot, 'uPlot.min.css'), join(dist, 'uPlot.min.css'));
console.log('dashboard bundle written to', dist);
