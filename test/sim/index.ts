/**
 * The simulated WhatsApp Web: the one entry point the end-to-end suite, the bench and the demo use.
 *
 * - `writeSimPage(cacheDir, options)` puts the page where whatsapp-web.js's local web version
 *   cache serves it as https://web.whatsapp.com/ (run the client with `WEB_VERSION=SIM_WEB_VERSION`).
 * - `SimPhone.attach(profileDir)` plays the phone inside the browser the client launched.
 */
export { SIM_WEB_VERSION, renderSimPage, writeSimPage } from './page';
export { SimPhone, SIM_PAGE_URL, readDevToolsActivePort, type AttachOptions } from './phone';
export { DEFAULT_SIM_CONFIG, RUNTIME_KEYS, type SimConfig, type SimPageOptions, type SimRuntimeConfig } from './page/config';
export type * from './page/types';
