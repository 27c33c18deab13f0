/**
 * The real node's configuration files, as text: containerd's (config version 4, containerd 2.3), the CNI network
 * (a bridge with host-local IPAM and portmap), and the kubelet's KubeletConfiguration. Pure: the harness
 * (node-cluster.ts) writes them into its run folder. They follow what a trial on this kind of machine needed:
 * cgroup v1 with the cgroupfs driver (no systemd), an oom_score_adj even root cannot lower, and a pod network that
 * reaches only itself, the Service range and the node's address.
 */
import { stringify } from 'yaml';

/** The node's network: fixed, since one node runs on a machine at a time (lock.ts). */
export const NODE_NETWORK = {
  /** The bridge the harness creates; pods' veths join it. */
  bridge: 'aigw-node0',
  /** The pods' range, on the bridge only. */
  podCidr: '10.244.0.0/24',
  /** The bridge's own address: the node's InternalIP, where the API server and the kubelet listen. */
  nodeIp: '10.244.0.1',
  /** The Service range of test/helpers/control-plane.ts; routed to the bridge so nothing for it leaves the node. */
  serviceCidr: '10.0.0.0/24',
  /** The Node object's name. */
  nodeName: 'aigw-node',
} as const;

export interface ContainerdPaths {
  readonly root: string;
  readonly state: string;
  readonly socket: string;
  readonly cniConfDir: string;
  readonly cniBinDir: string;
  readonly runc: string;
  readonly sandboxImage: string;
}

const toml = (s: string) => JSON.stringify(s);

/** containerd 2.3's configuration (version 4): everything under the run folder, CRI with runc and cgroupfs. */
export function containerdConfig(p: ContainerdPaths): string {
  return `version = 4
root = ${toml(p.root)}
state = ${toml(p.state)}

[plugins.'io.containerd.server.v1.grpc']
  address = ${toml(p.socket)}

[plugins.'io.containerd.server.v1.ttrpc']
  address = ${toml(`${p.socket}.ttrpc`)}

# The shims' sockets in the run folder, not /run/containerd/s.
[plugins.'io.containerd.shim.v1.manager']
  socket_dir = ${toml(`${p.state}/s`)}

# No NRI plugins here; enabled, it would open a socket under /var/run/nri.
[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = ${toml(p.sandboxImage)}

[plugins.'io.containerd.cri.v1.runtime']
  # The machine's capability bounding set lacks CAP_SYS_RESOURCE: even root cannot lower oom_score_adj, and
  # without this every sandbox fails in runc ("failed to update /proc/self/oom_score_adj: Permission denied").
  restrict_oom_score_adj = true

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  # No systemd on the machine: cgroupfs, as the kubelet's cgroupDriver.
  SystemdCgroup = false
  BinaryName = ${toml(p.runc)}
  # runc's state in the run folder, not /run/containerd/runc (which Debian's containerd may share).
  Root = ${toml(`${p.state}/runc`)}

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = [${toml(p.cniBinDir)}]
  conf_dir = ${toml(p.cniConfDir)}
`;
}

/**
 * The pod network: Debian's bridge plugin on the harness's bridge, host-local addresses from the pod range (its
 * state in the run folder), a route to the Service range through the node and no other (no default route: a pod
 * reaches its peers, Services and the node, nothing else), no masquerade (nothing leaves the node), and portmap
 * for hostPort.
 */
export function cniConfig(ipamDataDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'aigw-node',
      plugins: [
        {
          type: 'bridge',
          bridge: NODE_NETWORK.bridge,
          isGateway: true,
          ipMasq: false,
          // A pod that calls a Service backed by itself gets its packets back through the bridge.
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: NODE_NETWORK.podCidr, gateway: NODE_NETWORK.nodeIp }]],
            routes: [{ dst: NODE_NETWORK.serviceCidr }],
            dataDir: ipamDataDir,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

export interface KubeletPaths {
  readonly containerdSocket: string;
  readonly clientCaFile: string;
  readonly resolvConf: string;
  readonly volumePluginDir: string;
  readonly podLogsDir: string;
  readonly port: number;
  readonly healthzPort: number;
}

/** The KubeletConfiguration (kubelet.config.k8s.io/v1beta1) of the node. */
export function kubeletConfig(p: KubeletPaths): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // cgroups are v1 here (hybrid): kubelet 1.35+ refuses them unless told (KEP-5573); it then warns and runs.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    // The API server reaches the kubelet (logs, exec) at the node's InternalIP, never loopback.
    address: NODE_NETWORK.nodeIp,
    port: p.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: p.healthzPort,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: p.clientCaFile },
    },
    // Only the API server holds a client certificate of that CA.
    authorization: { mode: 'AlwaysAllow' },
    // No cluster DNS and no name server: a pod resolves nothing, so it can reach no address by a name.
    resolvConf: p.resolvConf,
    volumePluginDir: p.volumePluginDir,
    podLogsDir: p.podLogsDir,
    failSwapOn: false,
    // A shared test machine's disk and memory are what they are: evict only when truly out of them.
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    // The images were imported, not pulled: never collect them.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    // Updated ConfigMap and Secret volumes reach a pod within this (the default minute is longer than a test).
    syncFrequency: '10s',
  });
}
