// Compressed prefix tree (radix tree) over path keys (worker thread). Built in bulk when a router is
// built, edited one key at a time when routes change, read per request.
// Each node holds the items whose key ends exactly at that node; walking a request path from the root
// visits exactly the nodes whose key is a prefix of the path, in O(path length), whatever the item count.
// Invariants: a node's children start with distinct characters, so one Map lookup picks the only
// candidate edge; after `radixRemove`, no node but the root is left without items and with fewer than
// two children, so a tree's size follows the keys it holds now, not every key it ever held.

export class RadixNode<T> {
  /** Edge text from the parent ('' for the root). */
  label: string;
  children: Map<number, RadixNode<T>> | null = null;
  items: T[] = [];

  constructor(label: string) {
    this.label = label;
  }
}

/** Bulk build: appends `item` to its node's items unsorted; call `radixSortItems` after the last one. */
export function radixInsert<T>(root: RadixNode<T>, key: string, item: T): void {
  radixNodeFor(root, key).items.push(item);
}

/** Inserts `item` at its place in its node's items, which are kept sorted by `compare`. */
export function radixInsertSorted<T>(root: RadixNode<T>, key: string, item: T, compare: (a: T, b: T) => number): void {
  const items = radixNodeFor(root, key).items;
  items.splice(lowerBound(items, item, compare), 0, item);
}

/**
 * Removes `item` (by identity) from the node of `key`, then prunes what that left empty: an itemless
 * leaf goes, an itemless node with one child is merged into that child. Cost: O(key length + the node's items).
 * @returns false when the item was not there.
 */
export function radixRemove<T>(root: RadixNode<T>, key: string, item: T, compare: (a: T, b: T) => number): boolean {
  const path: RadixNode<T>[] = [root];
  let node = root;
  let i = 0;
  while (i < key.length) {
    const child = node.children?.get(key.charCodeAt(i));
    if (child === undefined || !key.startsWith(child.label, i)) return false;
    i += child.label.length;
    node = child;
    path.push(node);
  }
  const items = node.items;
  let at = lowerBound(items, item, compare);
  // Equal-ranked neighbours are possible in general (not for router candidates): look past them.
  while (at < items.length && items[at] !== item && compare(items[at]!, item) === 0) at++;
  if (items[at] !== item) {
    at = items.indexOf(item);
    if (at === -1) return false;
  }
  items.splice(at, 1);
  for (let d = path.length - 1; d >= 1; d--) {
    const current = path[d]!;
    if (current.items.length > 0) break;
    const parent = path[d - 1]!;
    const first = current.label.charCodeAt(0);
    const children = current.children;
    if (children === null || children.size === 0) {
      parent.children!.delete(first);
      if (parent.children!.size === 0) parent.children = null;
      continue;
    }
    if (children.size === 1) {
      const only = children.values().next().value!;
      only.label = current.label + only.label;
      parent.children!.set(first, only);
    }
    break;
  }
  return true;
}

/** True when the tree holds no item at all (only an empty root is left after removals). */
export function radixIsEmpty<T>(root: RadixNode<T>): boolean {
  return root.items.length === 0 && (root.children === null || root.children.size === 0);
}

/** First index whose item does not sort before `item`. */
function lowerBound<T>(items: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(items[mid]!, item) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The node whose key is exactly `key`, created (splitting an edge if needed) when missing. */
function radixNodeFor<T>(root: RadixNode<T>, key: string): RadixNode<T> {
  let node = root;
  let i = 0;
  while (i < key.length) {
    const first = key.charCodeAt(i);
    node.children ??= new Map();
    let child = node.children.get(first);
    if (child === undefined) {
      child = new RadixNode<T>(key.slice(i));
      node.children.set(first, child);
      return child;
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
  return node;
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
