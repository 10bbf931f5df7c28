import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/**
 * Whether this machine lets the test make network namespaces (root, and
 * iproute2 installed); the reason when it does not.
 */
export function hostsUnavailable(): string | null {
  const probe = `mnemo-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return null;
  } catch (err) {
    return `network namespaces are not available here (ip netns add: ${(err as Error).message.split('\n')[0]})`;
  }
}

/**
 * Separate hosts on one machine: a network namespace per host, each with
 * its own address on a bridge in the test's namespace, which is a host too
 * (at .1) for what the test serves itself. Processes started on a host
 * see only its own loopback and the bridge's network, as on another
 * machine; removing a host kills everything on it and its network with it.
 */
export class TestHosts {
  private readonly tag: string;
  private readonly subnet: string;
  private readonly hosts = new Map<string, { ns: string; veth: string; address: string }>();
  private readonly bridge: string;

  constructor() {
    // Names of links are at most 15 characters; the pid keeps concurrent runs apart.
    this.tag = String(process.pid % 100_000);
    this.bridge = `mnb${this.tag}`;
    this.subnet = `10.213.${process.pid % 250}`;
  }

  /** The address of the test's own namespace on the hosts' network. */
  get gateway(): string {
    return `${this.subnet}.1`;
  }

  create(names: string[]): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    names.forEach((name, i) => {
      const ns = `mnemo-${this.tag}-${name}`;
      const veth = `mv${this.tag}${String.fromCharCode(97 + i)}`;
      const peer = `mp${this.tag}${String.fromCharCode(97 + i)}`;
      const address = `${this.subnet}.${i + 2}`;
      ip('netns', 'add', ns);
      // Known from here on, so a failure below still cleans it up.
      this.hosts.set(name, { ns, veth, address });
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', peer);
      ip('link', 'set', peer, 'netns', ns);
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', peer);
      ip('-n', ns, 'link', 'set', peer, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'set', veth, 'master', this.bridge);
      ip('link', 'set', veth, 'up');
    });
  }

  address(name: string): string {
    return this.host(name).address;
  }

  /** A command run on a host (through `ip netns exec`, which execs it: the child is the command itself). */
  spawn(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.host(name).ns, command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** The host vanishes: every process on it killed at once, then its namespace and network deleted. */
  remove(name: string): number {
    const { ns, veth } = this.host(name);
    const pids = ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    ip('netns', 'del', ns);
    this.hosts.delete(name);
    try {
      // Gone with its peer when the peer was moved into the namespace; not when creating it failed half way.
      ip('link', 'del', veth);
    } catch {
      // Already gone.
    }
    return pids.length;
  }

  /** Removes every host left and the bridge; safe to call after a failed create. */
  destroy(): void {
    for (const name of [...this.hosts.keys()]) {
      try {
        this.remove(name);
      } catch {
        // Keep removing the others.
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      // Never made.
    }
  }

  private host(name: string) {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no test host ${name}`);
    return host;
  }
}
