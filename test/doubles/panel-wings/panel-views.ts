// Fractal transformer output of the panel (ServerTransformer, StatsTransformer).
import type { DoubleUser, ServerRecord } from './model.ts';

export function serverAttributes(s: ServerRecord, user: DoubleUser): Record<string, unknown> {
  const sim = s.sim;
  const status = sim.suspended ? 'suspended' : sim.installing ? 'installing' : null;
  return {
    server_owner: s.owners.has(user.id),
    identifier: s.identifier,
    internal_id: s.internalId,
    uuid: s.uuid,
    name: s.name,
    node: 'Node 1',
    is_node_under_maintenance: s.nodeMaintenance,
    sftp_details: { ip: '127.0.0.1', port: 2022 },
    description: s.description,
    limits: {
      memory: sim.behaviour.memoryLimitMb,
      swap: 0,
      disk: sim.behaviour.diskLimitMb,
      io: 500,
      cpu: 0,
      threads: null,
      oom_disabled: true,
    },
    invocation: 'java -Xms128M -Xmx1024M -jar server.jar',
    docker_image: 'ghcr.io/pterodactyl/yolks:java_17',
    egg_features: ['eula', 'java_version', 'pid_limit'],
    feature_limits: { databases: 0, allocations: 1, backups: 0 },
    status,
    is_suspended: sim.suspended,
    is_installing: sim.installing,
    is_transferring: sim.transferring,
    relationships: {
      allocations: {
        object: 'list',
        data: [
          {
            object: 'allocation',
            attributes: {
              id: s.internalId,
              ip: '127.0.0.1',
              ip_alias: null,
              port: 25565,
              notes: null,
              is_default: true,
            },
          },
        ],
      },
      variables: { object: 'list', data: [] },
    },
  };
}

export function resourcesBody(s: ServerRecord): unknown {
  const sim = s.sim;
  return {
    object: 'stats',
    attributes: {
      current_state: sim.state,
      is_suspended: sim.suspended,
      resources: {
        memory_bytes: sim.stats.memoryBytes,
        cpu_absolute: sim.stats.cpuAbsolute,
        disk_bytes: sim.stats.diskBytes,
        network_rx_bytes: sim.stats.rxBytes,
        network_tx_bytes: sim.stats.txBytes,
        uptime: sim.uptimeMs(),
      },
    },
  };
}
