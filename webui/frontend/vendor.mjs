// Refreshes webui/frontend/vendor from node_modules (`npm ci && npm run vendor`): the third-party
// files the dashboard uses (uPlot), kept in git because the box has no internet and a build machine
// may have no npm. The dashboard itself is webui/frontend/src, embedded into the emsgw binary by
// CMake as it is (webui/embed_assets.cmake); there is no build step and no copy of it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, 'vendor');
mkdirSync(vendor, { recursive: true });
const uplot = join(here, 'node_modules', 'uplot', 'dist');
copyFileSync(join(uplot, 'uPlot.iife.min.js'), join(vendor, 'uPlot.iife.min.js'));
copyFileSync(join(uplot, 'uPlot.min.css'), join(vendor, 'uPlot.min.css'));
console.log('third-party files written to', vendor);
