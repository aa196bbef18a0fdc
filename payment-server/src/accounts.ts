import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import type { Address } from '@chanpay/protocol';
import { addressOfPrivateKey, hexToBuffer } from '@chanpay/protocol/node';
import { ConfigError, type Config } from './config';

/** An account of the organisation this server serves. Its keys never leave this object. */
export interface Account {
  readonly name: string;
  readonly address: Address;
  /** Signs transactions. */
  readonly wallet: Wallet;
  /** The address that signs this account's vouchers by default (its hot voucher key, or the account itself). */
  readonly voucherSigner: Address;
  /** Signs a voucher digest with the voucher key. */
  readonly voucherKey: Uint8Array;
}

export class Accounts {
  private readonly byName = new Map<string, Account>();
  private readonly byAddress = new Map<string, Account>();

  constructor(list: Account[]) {
    for (const a of list) {
      if (this.byAddress.has(a.address)) throw new ConfigError(`two accounts share the address ${a.address}`);
      this.byName.set(a.name, a);
      this.byAddress.set(a.address, a);
    }
  }

  static async load(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Accounts> {
    const list: Account[] = [];
    for (const a of config.accounts) {
      let wallet: Wallet;
      if (a.privateKey) {
        wallet = new Wallet(a.privateKey);
      } else {
        const ks = a.keystore!;
        const password = ks.password ?? (ks.passwordEnv ? env[ks.passwordEnv] : undefined);
        if (password === undefined) throw new ConfigError(`account ${a.name}: keystore needs password or passwordEnv`);
        let json: string;
        try {
          json = readFileSync(ks.path, 'utf8');
        } catch (e) {
          throw new ConfigError(`account ${a.name}: cannot read keystore ${ks.path}: ${(e as Error).message}`);
        }
        try {
          wallet = (await Wallet.fromEncryptedJson(json, password)) as Wallet;
        } catch {
          throw new ConfigError(`account ${a.name}: cannot decrypt keystore ${ks.path} (wrong password?)`);
        }
      }
      const voucherKey = hexToBuffer(a.voucherKey ?? wallet.privateKey);
      list.push({
        name: a.name,
        address: wallet.address.toLowerCase() as Address,
        wallet,
        voucherKey,
        voucherSigner: addressOfPrivateKey(voucherKey),
      });
    }
    return new Accounts(list);
  }

  all(): Account[] {
    return [...this.byName.values()];
  }

  get(nameOrAddress: string): Account | undefined {
    return this.byName.get(nameOrAddress) ?? this.byAddress.get(nameOrAddress.toLowerCase());
  }

  byAddr(address: string): Account | undefined {
    return this.byAddress.get(address.toLowerCase());
  }

  /** Accounts whose voucher key signs for `signer`. */
  withVoucherSigner(signer: string): Account | undefined {
    const s = signer.toLowerCase();
    return this.all().find((a) => a.voucherSigner === s);
  }
}
