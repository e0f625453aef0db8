// The stdin each delegated plugin gets (CNI spec + Multus's runtime config), and network-status entries.
import { describe, expect, it } from 'vitest';
import { attachmentStatus, capabilityArgs, cniArgsEnv, parseNetworkConfig, pluginConfig, pluginTypes, type NetworkConfig } from '../../src/cni/delegate.js';
import type { CniResult } from '../../src/cni/types.js';

const list = parseNetworkConfig(JSON.stringify({
  cniVersion: '1.0.0', name: 'chain',
  plugins: [
    { type: 'macvlan', master: 'eth0', capabilities: { ips: true }, ipam: { type: 'static' } },
    { type: 'tuning', capabilities: { mac: true } },
  ],
})) as NetworkConfig;

const result: CniResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'net1', mac: 'aa:bb:cc:dd:ee:01', sandbox: '/run/netns/x' }],
  ips: [{ address: '10.10.0.11/24', interface: 0 }],
  routes: [],
  dns: {},
};

describe('delegated plugin config', () => {
  it('reads a single config as a list of one and a conflist as its plugins', () => {
    const one = parseNetworkConfig('{"cniVersion":"0.3.1","name":"n","type":"bridge","ipam":{"type":"host-local"}}') as NetworkConfig;
    expect([one.list, one.plugins.length, pluginTypes(one)]).toEqual([false, 1, ['bridge', 'host-local']]);
    expect([list.list, pluginTypes(list)]).toEqual([true, ['macvlan', 'static', 'tuning']]);
  });

  it('gives each plugin of a list the list\'s name and cniVersion, capabilities only where declared', () => {
    const inv = { capabilityArgs: capabilityArgs({ ips: ['10.10.0.11/24'], mac: 'aa:bb:cc:dd:ee:01' }) };
    expect(pluginConfig(list, 0, inv)).toEqual({ cniVersion: '1.0.0', name: 'chain', type: 'macvlan', master: 'eth0', capabilities: { ips: true }, ipam: { type: 'static' }, runtimeConfig: { ips: ['10.10.0.11/24'] } });
    expect(pluginConfig(list, 1, inv, result)).toEqual({ cniVersion: '1.0.0', name: 'chain', type: 'tuning', capabilities: { mac: true }, runtimeConfig: { mac: 'aa:bb:cc:dd:ee:01' }, prevResult: result });
  });

  it('merges cni-args into args.cni and points host-local at the lab\'s lease directory', () => {
    const net = parseNetworkConfig('{"cniVersion":"1.0.0","name":"b","type":"bridge","args":{"cni":{"a":1}},"ipam":{"type":"host-local","dataDir":"/var/lib/cni"}}') as NetworkConfig;
    const conf = pluginConfig(net, 0, { capabilityArgs: {}, cniArgs: { b: 2 }, hostLocalDataDir: '/run/podnet/l/cni/host-local' });
    expect(conf.args).toEqual({ cni: { a: 1, b: 2 } });
    expect(conf.ipam).toEqual({ type: 'host-local', dataDir: '/run/podnet/l/cni/host-local' });
    expect(conf.runtimeConfig).toBeUndefined();
  });

  it('passes CNI_ARGS as Multus does', () => {
    expect(cniArgsEnv({ namespace: 'ns', name: 'p' }, 'pn-l_pabc')).toBe('IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=pn-l_pabc;K8S_POD_UID=');
  });

  it('network-status entry: the sandbox interface, its addresses without prefix, its MAC, the DNS', () => {
    const withHost: CniResult = { ...result, interfaces: [{ name: 'cni0', mac: '11:11:11:11:11:11' }, ...result.interfaces], ips: [{ address: '10.10.0.11/24', interface: 1 }], dns: { nameservers: ['10.10.0.1'] } };
    expect(attachmentStatus('default/m', 'net1', withHost)).toEqual({ name: 'default/m', interface: 'net1', ips: ['10.10.0.11'], mac: 'aa:bb:cc:dd:ee:01', dns: { nameservers: ['10.10.0.1'] } });
  });
});
