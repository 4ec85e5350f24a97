/** Drivers by name; the names are the schema's `driver` enum. */
import type { DriverName } from '../spec.js';
import { macvlanDriver } from './macvlan.js';
import { natDriver } from './nat.js';
import { ovsDriver } from './ovs.js';
import { bridgeDriver, hostDriver } from './simple.js';
import { ipvlanDriver } from './ipvlan.js';
import { ptpDriver, vxlanDriver } from './routed.js';
import { ebpfDriver } from './ebpf.js';
import type { Driver } from './types.js';

export const DRIVER_REGISTRY: Readonly<Record<DriverName, Driver>> = {
  host: hostDriver,
  nat: natDriver,
  bridge: bridgeDriver,
  ovs: ovsDriver,
  macvlan: macvlanDriver,
  ipvlan: ipvlanDriver,
  ptp: ptpDriver,
  vxlan: vxlanDriver,
  ebpf: ebpfDriver,
};
