// The container image's recipe (Dockerfile, .dockerignore), linted in the test run: no container
// engine is needed (issue #19). dockerfile-utils is the Docker language server's validator (bad
// instructions, flags, ports, signals); the rules after it are this image's own.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parseOptions, type Options } from '../../runtime/cli.ts';

const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const final = instructions.slice(instructions.indexOf(froms.at(-1)!));

function args(instruction: Instruction): string {
  return instruction.getArgumentsContent() ?? '';
}

function only(keyword: string, within: Instruction[] = final): Instruction {
  const found = within.filter((i) => i.getKeyword() === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the final stage`);
  return found[0]!;
}

/** ENV of the final stage as name → value. */
function env(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const instruction of final.filter((i) => i.getKeyword() === 'ENV')) {
    for (const match of args(instruction).matchAll(/([A-Z_]+)=(\S+)/g)) values[match[1]!] = match[2]!;
  }
  return values;
}

test('the Dockerfile passes the Docker language service validator', () => {
  assert.deepEqual(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
});

test('multi-stage on a pinned Node 24 slim base; the build stage installs production dependencies only', () => {
  assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
  for (const from of froms) assert.match(from.getImage() ?? '', /^node:24\.\d+\.\d+-slim$/);
  const build = instructions.slice(0, instructions.indexOf(froms.at(-1)!));
  const install = build.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
  assert.match(install, /npm ci --omit=dev/);
  // The final stage copies node_modules from the build stage instead of installing.
  assert.ok(final.some((i) => i.getKeyword() === 'COPY' && /--from=\w+ \S*node_modules/.test(i.getTextContent())));
  assert.equal(final.some((i) => i.getKeyword() === 'RUN' && /npm (ci|install)/.test(args(i))), false);
});

test('non-root user, SIGTERM as the stop signal, a health check on readiness', () => {
  const user = args(only('USER'));
  assert.doesNotMatch(user, /^(root|0)(:|$)/);
  assert.ok(final.indexOf(only('USER')) < final.indexOf(only('ENTRYPOINT')), 'USER before the entrypoint');
  assert.equal(args(only('STOPSIGNAL')), 'SIGTERM');
  const health = args(only('HEALTHCHECK'));
  const statusListen = env().SLUICE_STATUS_LISTEN;
  assert.ok(statusListen !== undefined, 'the image turns the status listener on');
  const port = statusListen.split(':').at(-1);
  assert.match(health, new RegExp(`http://127\\.0\\.0\\.1:${port}/status/ready`));
  assert.match(args(only('ENTRYPOINT')), /"node", "runtime"/);
});

test('the config path is documented and set through SLUICE_CONFIG; the image environment parses', () => {
  const values = env();
  assert.equal(values.SLUICE_CONFIG, '/etc/sluice/kong.yaml');
  assert.ok(final.some((i) => i.getKeyword() === 'COPY' && args(i).endsWith(' /etc/sluice/kong.yaml')), 'a placeholder config is at the documented path');
  const options = parseOptions([], values) as Options;
  assert.equal(options.config, '/etc/sluice/kong.yaml');
  assert.equal(options.proxyHost, '0.0.0.0');
  assert.ok(text.includes('/etc/sluice/kong.yaml'));
  const exposed = final.filter((i) => i.getKeyword() === 'EXPOSE').flatMap((i) => args(i).split(/\s+/)).map(Number);
  assert.ok(exposed.includes(options.proxyPort) && exposed.includes(options.statusListen!.port), `EXPOSE ${exposed.join(' ')}`);
});

test('.dockerignore keeps the checkout out, and the image still gets every source folder it runs', () => {
  const ignored = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  for (const path of ['.git', 'node_modules', 'test', 'bench']) assert.ok(ignored.includes(path), `${path} is ignored`);
  const copied = final.filter((i) => i.getKeyword() === 'COPY').map(args).join('\n');
  for (const folder of ['config', 'runtime', 'workers']) {
    assert.ok(!ignored.includes(folder), `${folder} is not ignored`);
    assert.match(copied, new RegExp(`^${folder} `, 'm'), `${folder} is copied`);
  }
});
