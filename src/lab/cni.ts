/** A CNI plugin call as the ledger keeps it: enough to run its DEL after the run is gone. */
export interface CniCall {
  /** where the plugin runs (hostA's namespace) */
  readonly netns: string;
  readonly plugin: string;
  readonly containerNs: string;
  readonly ifname: string;
  /** the network configuration given on stdin */
  readonly config: string;
}

/** The environment a runtime gives a plugin (the CNI specification's CNI_* variables). */
export function cniEnv(call: CniCall, command: 'ADD' | 'DEL', path: string): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: call.containerNs, CNI_NETNS: `/run/netns/${call.containerNs}`, CNI_IFNAME: call.ifname, CNI_PATH: path };
}
