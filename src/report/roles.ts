/**
 * Plain-language names for the interface roles and events in hop labels such as
 * "c1h rx → up tx", so that a reader of the report needs no source to decode them.
 * docs/methodology.md ("Role names in reports") holds the same table.
 */
const ROLES: Readonly<Record<string, string>> = {
  c1: "container c1's own interface (a veth end, or a macvlan child)",
  c2: "container c2's own interface (a veth end, or a macvlan child)",
  c1h: "host end of c1's veth pair, in hostA",
  c2h: "host end of c2's veth pair, in hostA",
  dbr: "Linux bridge in hostA: nat's private bridge (like Docker's docker0), or the bridge topology's LAN bridge",
  obr: 'Open vSwitch bridge in hostA',
  up: "hostA's uplink to the LAN",
  sw: "the LAN switch's bridge",
  swa: 'switch port towards hostA',
  swp: 'switch port towards the peer',
  peer: "the peer's interface",
};

const EVENTS: Readonly<Record<string, string>> = {
  tx: 'handed to the device to transmit',
  'rx-queue': 'queued for receive on the device (veth, backlog)',
  rx: 'received and processed by the device',
};

/** The roles and events that appear in the given hop labels, each with its meaning, in first-seen order. */
export function legendFor(hops: readonly string[]): { term: string; meaning: string }[] {
  const seen = new Map<string, string>();
  for (const hop of hops) {
    for (const side of hop.split(' → ')) {
      const [role, event] = side.split(' ');
      if (role && ROLES[role] && !seen.has(role)) seen.set(role, ROLES[role]);
      if (event && EVENTS[event] && !seen.has(event)) seen.set(event, EVENTS[event]);
    }
  }
  return [...seen].map(([term, meaning]) => ({ term, meaning }));
}

const SHORT: Readonly<Record<string, string>> = {
  c1: 'c1',
  c2: 'c2',
  c1h: 'c1 veth, host end',
  c2h: 'c2 veth, host end',
  dbr: 'bridge',
  obr: 'OVS bridge',
  up: 'uplink',
  sw: 'switch',
  swa: 'switch port A',
  swp: 'switch port P',
  peer: 'peer',
};

/** A role's name for a path diagram's node: a few plain words ("uplink", "NAT bridge"). */
export function shortRole(role: string, driver: string | null): string {
  if (role === 'dbr' && driver === 'nat') return 'NAT bridge';
  if ((role === 'c1' || role === 'c2') && driver === 'macvlan') return `${role} (macvlan child)`;
  if ((role === 'c1' || role === 'c2') && driver !== 'host') return `${role} (container)`;
  return SHORT[role] ?? role;
}
