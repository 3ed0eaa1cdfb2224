// Compressed prefix tree (radix tree) over path keys (worker thread). Built once per router, read per request.
// Each node holds the items whose key ends exactly at that node; walking a request path from the root
// visits exactly the nodes whose key is a prefix of the path, in O(path length), whatever the item count.
// Invariant: a node's children start with distinct characters, so one Map lookup picks the only candidate edge.

export class RadixNode<T> {
  /** Edge text from the parent ('' for the root). */
  label: string;
  children: Map<number, RadixNode<T>> | null = null;
  items: T[] = [];

  constructor(label: string) {
    this.label = label;
  }
}

export function radixInsert<T>(root: RadixNode<T>, key: string, item: T): void {
  let node = root;
  let i = 0;
  while (i < key.length) {
    const first = key.charCodeAt(i);
    node.children ??= new Map();
    let child = node.children.get(first);
    if (child === undefined) {
      child = new RadixNode<T>(key.slice(i));
      node.children.set(first, child);
      child.items.push(item);
      return;
    }
    let common = 1;
    const label = child.label;
    while (common < label.length && i + common < key.length && label.charCodeAt(common) === key.charCodeAt(i + common)) common++;
    if (common < label.length) {
      // Split the edge: parent → middle (shared part) → child (rest of its label).
      const middle = new RadixNode<T>(label.slice(0, common));
      child.label = label.slice(common);
      middle.children = new Map([[child.label.charCodeAt(0), child]]);
      node.children.set(first, middle);
      child = middle;
    }
    node = child;
    i += common;
  }
  node.items.push(item);
}

/** Applies `sort` to every node's items; call once after the last insert. */
export function radixSortItems<T>(node: RadixNode<T>, compare: (a: T, b: T) => number): void {
  node.items.sort(compare);
  if (node.children !== null) for (const child of node.children.values()) radixSortItems(child, compare);
}

/**
 * Writes into `out` the nodes along `path` that have items, root first, and returns how many.
 * `out` is the caller's reusable scratch array: no allocation once it has grown to the deepest walk.
 */
export function radixWalk<T>(root: RadixNode<T>, path: string, out: RadixNode<T>[]): number {
  let count = 0;
  let node = root;
  let i = 0;
  for (;;) {
    if (node.items.length > 0) out[count++] = node;
    if (i >= path.length || node.children === null) return count;
    const child = node.children.get(path.charCodeAt(i));
    if (child === undefined || !path.startsWith(child.label, i)) return count;
    i += child.label.length;
    node = child;
  }
}
