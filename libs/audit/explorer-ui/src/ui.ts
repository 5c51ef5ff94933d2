import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html';

export interface Loaded<T> {
  value?: T;
  error?: Error;
}

/** Runs `load` whenever `deps` change, dropping the answer of a load that was overtaken. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({});
  useEffect(() => {
    const controller = new AbortController();
    setState({});
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setState({ value }),
      (error: Error) => !controller.signal.aborted && setState({ error }),
    );
    return () => controller.abort();
  }, deps);
  return state;
}

/** The view's heading, focused when the view opens so keyboard and screen-reader users land on it. */
export function Heading(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return html`<h1 tabindex="-1" ref=${ref}>${props.children}</h1>`;
}

export function Problem(props: { error: Error }) {
  return html`<p role="alert" class="problem">${props.error.message}</p>`;
}
