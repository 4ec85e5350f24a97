/**
 * Routes: which namespaces a traffic path (c1-peer, peer-c1, c1-c2) runs between in a
 * topology, and the address the client connects to, or why the path cannot run there.
 * The host baseline's endpoint is hostA itself; under nat the peer reaches c1 through
 * hostA's published ports.
 */
import type { Endpoint } from './drivers/types.js';
import { expectedMatrix, explainCell } from './reachability.js';
import type { TopologySpec } from './spec.js';
import type { TrafficPath } from '../workloads/registry.js';

export interface RoutePlan {
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** the address the client connects to */
  readonly target: string;
  readonly label: string;
}

export type RouteResolution = { readonly ok: true; readonly plan: RoutePlan } | { readonly ok: false; readonly reason: string };

export interface Endpoints {
  readonly hostA: Endpoint;
  readonly peer: Endpoint;
  readonly containers: readonly Endpoint[];
}

/** Whether a path can be carried, decided from the spec alone (before anything is built). */
export function routeApplicability(spec: TopologySpec, path: TrafficPath): { ok: true } | { ok: false; reason: string } {
  const exp = expectedMatrix(spec);
  if (spec.driver === 'host') {
    return path === 'c1-c2' ? { ok: false, reason: 'not applicable, because the host baseline has no containers' } : { ok: true };
  }
  switch (path) {
    case 'c1-peer':
      return exp['c1->peer'] === 'yes' ? { ok: true } : { ok: false, reason: `not applicable, because c1 cannot reach the peer in ${spec.name}` };
    case 'peer-c1':
      return exp['peer->c1'] === 'yes' || exp['peer->c1 published'] === 'yes'
        ? { ok: true }
        : { ok: false, reason: `not applicable, because the peer cannot reach c1 in ${spec.name}` };
    case 'c1-c2': {
      if (exp['c1->c2'] === 'yes') return { ok: true };
      if (exp['c1->c2'] === 'refused') return { ok: false, reason: 'not applicable, because macvlan passthru allows a single child: the kernel refuses a second container' };
      const why = explainCell(spec, 'c1->c2');
      if (spec.containers.length < 2) return { ok: false, reason: `not applicable, because ${spec.name} has one container` };
      return { ok: false, reason: `not applicable, because ${why || `c1 cannot reach c2 in ${spec.name}`}` };
    }
  }
}

export function resolveRoute(spec: TopologySpec, ep: Endpoints, path: TrafficPath): RouteResolution {
  const a = routeApplicability(spec, path);
  if (!a.ok) return a;
  const c1 = spec.driver === 'host' ? ep.hostA : ep.containers[0]!;
  const who = spec.driver === 'host' ? 'hostA' : 'c1';
  switch (path) {
    case 'c1-peer':
      return { ok: true, plan: { client: c1, server: ep.peer, target: ep.peer.address, label: `${who}→peer` } };
    case 'peer-c1': {
      // nat: only through the published port on hostA's address
      const target = spec.driver === 'nat' ? ep.hostA.address : c1.address;
      return { ok: true, plan: { client: ep.peer, server: c1, target, label: spec.driver === 'nat' ? 'peer→c1 (published port)' : `peer→${who}` } };
    }
    case 'c1-c2':
      return { ok: true, plan: { client: c1, server: ep.containers[1]!, target: ep.containers[1]!.address, label: 'c1→c2' } };
  }
}
