// The Kubernetes manifests (deploy/kubernetes/), validated in the test run against the
// Kubernetes API schemas that kubernetes-models ships (and the Prometheus Operator CRD schemas of
// @kubernetes-models/prometheus-operator): no cluster and no network. Those schemas do not refuse
// unknown fields, so the fields this deployment depends on are checked by name below.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { parseOptions, type Options } from '../../runtime/cli.ts';
import { load } from '../config/helpers.ts';

const DIR = new URL('../../deploy/kubernetes/', import.meta.url);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

const files = readdirSync(DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');
const manifests: Manifest[] = files.flatMap((name) =>
  parseAllDocuments(readFileSync(new URL(name, DIR), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, [], name);
    return doc.toJS() as Manifest;
  }),
);

function model(manifest: Manifest): { validate(): void } {
  switch (`${manifest.apiVersion}/${manifest.kind}`) {
    case 'apps/v1/Deployment':
      return new Deployment(manifest as never);
    case 'v1/ConfigMap':
      return new ConfigMap(manifest as never);
    case 'v1/Service':
      return new Service(manifest as never);
    case 'monitoring.coreos.com/v1/ServiceMonitor':
      return new ServiceMonitor(manifest as never);
    default:
      return assert.fail(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  }
}

function one<T>(kind: string): T {
  const found = manifests.filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0] as T;
}

interface Container {
  env: Array<{ name: string; value: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  lifecycle: { preStop: { exec: { command: string[] } } };
  resources: { requests: { memory: string; cpu: string }; limits: { memory: string } };
  volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }>;
}
interface DeploymentShape {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { terminationGracePeriodSeconds: number; containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string } }> } };
  };
}

const deployment = one<DeploymentShape & Manifest>('Deployment');
const container = deployment.spec.template.spec.containers[0]!;
const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
const options = parseOptions([], env) as Options;

test('every manifest validates against its Kubernetes (or Prometheus Operator CRD) schema', () => {
  assert.deepEqual(files.sort(), ['configmap.yaml', 'deployment.yaml', 'service.yaml', 'servicemonitor.yaml']);
  for (const manifest of manifests) {
    assert.doesNotThrow(() => model(manifest).validate(), `${manifest.kind} ${manifest.metadata.name}`);
  }
});

test('the schema check can fail: a wrong type and a bad ServiceMonitor interval are refused', () => {
  const broken = structuredClone(deployment) as DeploymentShape & Manifest;
  (broken.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }).containerPort = 'eight thousand';
  assert.throws(() => new Deployment(broken as never).validate(), /containerPort must be integer/);
  const monitor = structuredClone(one<Manifest & { spec: { endpoints: Array<{ interval: string }> } }>('ServiceMonitor'));
  monitor.spec.endpoints[0]!.interval = 'often';
  assert.throws(() => new ServiceMonitor(monitor as never).validate(), /interval must match pattern/);
});

test('kustomization.yaml lists every manifest', () => {
  const kustomization = parseAllDocuments(readFileSync(new URL('kustomization.yaml', DIR), 'utf8'))[0]!.toJS() as { resources: string[] };
  assert.deepEqual([...kustomization.resources].sort(), files.sort());
});

test('probes: readiness on the status listener /status/ready, liveness on /status/live', () => {
  const status = container.ports.find((p) => p.name === 'status')!;
  assert.equal(options.statusListen?.port, status.containerPort, 'SLUICE_STATUS_LISTEN is the status port');
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/status/ready', port: 'status' });
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/status/live', port: 'status' });
  assert.equal(options.proxyPort, container.ports.find((p) => p.name === 'proxy')!.containerPort);
});

test('shutdown: preStop sleeps, then the drain; the grace period covers both with room', () => {
  const command = container.lifecycle.preStop.exec.command;
  assert.equal(command[0], 'sleep');
  const preStopSeconds = Number(command[1]);
  assert.ok(preStopSeconds >= 3 && preStopSeconds <= 15, 'long enough for endpoints to update');
  const drainSeconds = options.drainTimeoutMs / 1000;
  // The primary gives a wedged worker one second past the drain timeout.
  assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds >= preStopSeconds + drainSeconds + 1 + 2, 'no SIGKILL mid-drain');
  assert.ok(options.drainIdleGraceMs < options.drainTimeoutMs);
});

test('resources: memory request at or above the measured RSS (357 MiB under load), limit above it', () => {
  const mebibytes = (value: string): number => Number(/^(\d+)Mi$/.exec(value)?.[1] ?? NaN);
  assert.ok(mebibytes(container.resources.requests.memory) >= 357);
  assert.ok(mebibytes(container.resources.limits.memory) > mebibytes(container.resources.requests.memory));
  assert.equal(Number(container.resources.requests.cpu), options.workers, 'a core per worker');
});

test('the ConfigMap is mounted as a directory (no subPath, so updates arrive) at SLUICE_CONFIG, and its file is a valid config', () => {
  const configMap = one<Manifest & { data: Record<string, string> }>('ConfigMap');
  const volume = deployment.spec.template.spec.volumes.find((v) => v.configMap?.name === configMap.metadata.name)!;
  assert.ok(volume !== undefined);
  const mount = container.volumeMounts.find((m) => m.name === volume.name)!;
  assert.equal(mount.subPath, undefined);
  const file = Object.keys(configMap.data)[0]!;
  assert.equal(options.config, `${mount.mountPath}/${file}`);
  load(configMap.data[file]!);
  load(readFileSync(new URL('../../deploy/container/kong.yaml', import.meta.url), 'utf8'));
});

test('Service and ServiceMonitor select the pods and scrape the status port', () => {
  const labels = deployment.spec.template.metadata.labels;
  assert.deepEqual(deployment.spec.selector.matchLabels, labels);
  const service = one<Manifest & { spec: { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> } }>('Service');
  for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(labels[key], value);
  const monitor = one<Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } }>('ServiceMonitor');
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels?.[key], value);
  const endpoint = monitor.spec.endpoints[0]!;
  assert.equal(endpoint.path, '/metrics');
  assert.equal(service.spec.ports.find((p) => p.name === endpoint.port)?.targetPort, 'status');
});
