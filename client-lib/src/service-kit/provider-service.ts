import type Koa from 'koa';
import type { PaymentProvider } from '../provider/payment-provider';
import { providerFor, type ProviderSettings } from './factories';
import { listen } from './listen';

/** Where and how a provider service runs (the options every provider service takes). */
export interface ProviderServiceOptions {
  payment: ProviderSettings;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

/** The service's app, built once its provider is ready (null: no-payment mode), and what it must close. */
export type OpenApp<Opened extends { app: Koa; close?(): void }> = (provider: PaymentProvider | null) => Opened;

export interface RunningProviderService<Opened> {
  url: string;
  provider: PaymentProvider | null;
  /** What `open` returned. */
  opened: Opened;
  /** Stops taking calls, then stores the provider's pending vouchers, then closes what `open` opened. */
  stop(): Promise<void>;
}

/** Starts a paid service: its provider first (it must know its channels' chain), then its app on host:port. */
export async function startProviderService<Opened extends { app: Koa; close?(): void }>(
  opts: ProviderServiceOptions,
  defaultPort: number,
  open: OpenApp<Opened>,
): Promise<RunningProviderService<Opened>> {
  const provider = providerFor(opts.payment);
  if (provider) await provider.start();
  const opened = open(provider);
  let http;
  try {
    http = await listen(opened.app, opts.port ?? defaultPort, opts.host);
  } catch (e) {
    opened.close?.();
    await provider?.stop();
    throw e;
  }
  const server = http;
  return {
    url: server.url,
    provider,
    opened,
    async stop() {
      await server.close();
      await provider?.stop();
      opened.close?.();
    },
  };
}
