import htm from 'htm';
import { h } from 'preact';

/** Tagged templates instead of JSX: the page needs no compile step beyond bundling. */
export const html = htm.bind(h);
