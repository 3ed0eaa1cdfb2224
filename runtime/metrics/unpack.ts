// Primary thread: turns a PackedMetric (a worker's large metric family, packed for the
// MessagePort) back into the prom-client JSON its `get()` gives in the worker, line for line, so
// AggregatorRegistry.aggregate merges it like any other metric.
import type { MetricJSON, MetricValueJSON, PackedMetric } from '../protocol/messages.ts';

export function unpack(packed: PackedMetric): MetricJSON {
  const values: MetricValueJSON[] = [];
  const { name, labelNames, bounds, data } = packed;
  const rows = packed.labels === '' ? [] : packed.labels.split('\n');
  const stride = packed.type === 'histogram' ? bounds.length + 3 : 1;
  if (rows.length * stride !== data.length) throw new Error(`packed metric ${name}: ${rows.length} series but ${data.length} values`);
  const bucketName = `${name}_bucket`;
  const sumName = `${name}_sum`;
  const countName = `${name}_count`;
  for (let i = 0; i < rows.length; i++) {
    const labelValues = JSON.parse(rows[i]!) as string[];
    const labels: Record<string, string> = {};
    for (let l = 0; l < labelNames.length; l++) labels[labelNames[l]!] = labelValues[l] ?? '';
    const o = i * stride;
    if (packed.type === 'counter') {
      values.push({ value: data[o]!, labels });
      continue;
    }
    let cumulative = 0;
    for (let b = 0; b < bounds.length; b++) {
      cumulative += data[o + b]!;
      values.push({ value: cumulative, labels: { ...labels, le: bounds[b]! }, metricName: bucketName });
    }
    const count = data[o + stride - 1]!;
    values.push({ value: count, labels: { ...labels, le: '+Inf' }, metricName: bucketName });
    values.push({ value: data[o + stride - 2]!, labels, metricName: sumName });
    values.push({ value: count, labels, metricName: countName });
  }
  return { name, help: packed.help, type: packed.type, aggregator: packed.aggregator, values };
}
