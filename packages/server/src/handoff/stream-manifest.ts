// The checksum manifest of a partition stream: a SHA-256 Merkle tree (merkle-tools, the package
// the design chose) over the stream's chunks, one leaf per chunk, the leaf being the SHA-256 of
// the chunk's packing (chunk-codec.ts). The source sends the manifest of the next chunks (their
// last keys, leaves and root) before the chunks themselves; the receiver rebuilds the tree from
// the leaves and refuses a manifest whose root differs, then checks each chunk it fetches against
// its leaf and the leaf's proof against the root before applying it. Leaves and inner nodes share
// one hash without a tag (merkle-tools' tree): this guards against corruption on an authenticated
// link, where the leaf count is fixed by the manifest itself, not against a forger.
import MerkleTools, { type Proof } from 'merkle-tools';
import { chunkHash } from './chunk-codec.js';

/** Bytes of a SHA-256 hash: a leaf or a root. */
export const HASH_BYTES = 32;

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function treeOf(leaves: readonly Uint8Array[]): MerkleTools {
  const tree = new MerkleTools({ hashType: 'sha256' });
  for (const leaf of leaves) tree.addLeaf(asBuffer(leaf));
  tree.makeTree(false);
  return tree;
}

/** The root over the leaves (at least one). */
export function manifestRoot(leaves: readonly Uint8Array[]): Buffer {
  const root = treeOf(leaves).getMerkleRoot();
  if (root === null) throw new Error('a manifest needs at least one chunk');
  return root;
}

/** A manifest the receiver checked: its leaves make its root. */
export class VerifiedManifest {
  private constructor(private readonly tree: MerkleTools, readonly root: Buffer, readonly leaves: readonly Buffer[]) {}

  /** The manifest, or undefined when its leaves do not make its root (it was corrupted on the way). */
  static of(root: Uint8Array, leaves: readonly Uint8Array[]): VerifiedManifest | undefined {
    if (leaves.length === 0 || root.length !== HASH_BYTES || leaves.some((l) => l.length !== HASH_BYTES)) return undefined;
    const tree = treeOf(leaves);
    const made = tree.getMerkleRoot();
    if (made === null || !made.equals(asBuffer(root))) return undefined;
    return new VerifiedManifest(tree, made, leaves.map(asBuffer));
  }

  /** Whether a chunk's packing is the one the manifest lists at `index`: its hash, and that leaf's proof to the root. */
  holds(index: number, packed: Uint8Array): boolean {
    const leaf = this.leaves[index];
    if (leaf === undefined) return false;
    const hash = chunkHash(packed);
    if (!hash.equals(leaf)) return false;
    const proof = this.tree.getProof(index, false);
    // The declarations name one proof step where the function takes the list of them.
    return proof !== null && this.tree.validateProof(proof as unknown as Proof<string>, hash, this.root);
  }
}
