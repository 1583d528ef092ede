import { bindingLoaded, exitNowIfLoaded } from './addon.js';

/**
 * The CLI's fast exit (_exit without Node's teardown), apart from the kernel
 * index so the CLI's entry imports nothing else of the kernel: a verb that
 * never loaded the binding must not load it, or anything, to exit.
 */
export { bindingLoaded, exitNowIfLoaded };
