/**
 * What the embedded default needs of a product beside its adapter: a simulator to start, the target
 * that points at it, what it issued (for the leak scan), how many requests it answered (for the
 * bench), what a person does in its UI for an operator task, and the bench's reasoned minimum calls.
 * Each product folder exports one (`simulated.ts`); ../lambdas/core/products/simulated.ts lists them
 * against the product list. Nothing here reaches a Lambda bundle.
 */
import type { ActionRequiredDetail } from '#core/events.ts';
import type { VendorName } from '#core/products/index.ts';
import type { TargetOf } from '#core/requests.ts';
import type { ConcurrencyGate, FaultInjector } from './simulator-kit.ts';

export type Operation = 'provision' | 'rotate' | 'revoke';

/** The fewest vendor calls an operation needs, with the reasoning. */
export interface MinimumCalls {
  readonly calls: number;
  readonly why: string;
}

export interface RunningSimulator {
  readonly url: string;
  /** The per-target concurrency limit the simulator enforces and measures. */
  readonly concurrency: ConcurrencyGate;
  /** Faults armed for the product's next answers (latency, 429, 5xx, a lost answer, hostile bodies). */
  readonly faults: FaultInjector;
  close(): Promise<void>;
}

/** A credential file (or text) handed out by the product's UI, and its expiry where the UI sets one. */
export interface SavedCredential {
  readonly text: string;
  readonly expiresAt?: string;
}

export interface SimulatedProduct<N extends VendorName, S extends RunningSimulator> {
  readonly name: N;
  /** The target name `npm start` and `npm run local` register the simulator under. */
  readonly demoTarget: string;
  start(options: { readonly port?: number }): Promise<S>;
  /** The target definition of the simulator, TLS pinned to the CA it generated (or its certificate). */
  target(simulator: S, pinning: 'ca' | 'fingerprint'): TargetOf<N>;
  /** Every key, password, token and admin credential the simulator issued or holds. */
  issuedMaterial(simulator: S): string[];
  /** Requests the simulator answered so far. */
  requestCount(simulator: S): number;
  /** What a person does in the product's UI for an operator task (products that issue only there). */
  readonly operatorUi?: {
    /** The credential the UI hands out; a rotation gets a second one for the same product user. */
    obtain(simulator: S, task: ActionRequiredDetail, serviceUser: string | undefined): SavedCredential;
    /** Removes in the UI what a revocation task's instructions name. */
    revoke(simulator: S, task: ActionRequiredDetail): void;
  };
  /** An authenticated call a consumer makes with the brokered bearer token (token-broker products). */
  readonly consumerCall?: { readonly method: 'GET' | 'POST'; readonly path: string; readonly body?: unknown };
  readonly bench: {
    readonly minimumCalls: Readonly<Record<Operation, MinimumCalls>>;
    /** Fleet products: the device a bench credential lives on (its target is `<target>.<device>`). */
    readonly device?: string;
    /** The product-specific fields of a bench credential's request. */
    readonly request: Readonly<Record<string, unknown>>;
    /** The product user of bulk credential `index`, for products whose keys belong to one. */
    bulkServiceUser?(index: number): string;
  };
}

/** The minimums of products that rotate between twin users through their API. */
export const TWIN_USER_MINIMUM_CALLS: Readonly<Record<Operation, MinimumCalls>> = {
  provision: {
    calls: 4,
    why: 'create the access profile, create the user, generate its key, one authenticated call to verify it (create-if-absent writes first and reads only on "already exists")',
  },
  rotate: {
    calls: 6,
    why: "create the idle twin, generate its key, verify it, read the old twin's marker and delete it (only this credential's), one call proving its key refused",
  },
  revoke: {
    calls: 4,
    why: "read the marker of the user and of its twin (only this credential's are deleted; a rotation cut short may have left the idle one), delete the one that exists, one call proving the key refused",
  },
};

/** The request fields of a bench credential on a product with access profiles and trusted hosts. */
export const TWIN_USER_BENCH_REQUEST = {
  trustedHosts: ['127.0.0.1/32'],
  accessProfile: { name: 'bench-ro', permissions: { 'fwgrp.address': 'read' } },
} as const;
