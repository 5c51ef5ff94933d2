import { BCA_LATENCY, bcaSandbox } from './bca.sandbox';
import { JNE_LATENCY, jneSandbox } from './jne.sandbox';
import { type Latency, type SandboxServer, parseLatency, startSandboxServer } from './sandbox-server';

/** Both gateways of the checkout, faked on loopback. */
export interface GatewaySandbox {
  bca: SandboxServer;
  jne: SandboxServer;
  close(): Promise<void>;
}

export interface GatewaySandboxOptions {
  /** One latency for both gateways; default BCA 300-900 ms, JNE 200-500 ms. */
  latency?: Latency;
}

/** The latency asked for by `SANDBOX_LATENCY_MS` (`250`, `300-900`), if any. */
export function sandboxLatencyFromEnv(env: NodeJS.ProcessEnv): Latency | undefined {
  return parseLatency(env.SANDBOX_LATENCY_MS);
}

export async function startGatewaySandbox(options: GatewaySandboxOptions = {}): Promise<GatewaySandbox> {
  const bca = await startSandboxServer(bcaSandbox(options.latency ?? BCA_LATENCY));
  const jne = await startSandboxServer(jneSandbox(options.latency ?? JNE_LATENCY)).catch(async (error) => {
    await bca.close();
    throw error;
  });
  return { bca, jne, close: async () => void (await Promise.all([bca.close(), jne.close()])) };
}
