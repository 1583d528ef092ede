/**
 * OCI whiteouts as a layer's tar spells them: ".wh.NAME" deletes NAME of the
 * layers below, ".wh..wh..opq" hides a directory's lower contents. Pure, so
 * table-tested; unpack.ts turns them into overlayfs's device nodes and xattrs.
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type WhiteoutKind = { kind: 'opaque' } | { kind: 'whiteout'; name: string } | { kind: 'meta' } | null;

/** OCI image-spec layer.md whiteouts; ".wh..wh.*" other than the opaque marker is AUFS bookkeeping to drop. */
export function whiteoutOf(basename: string): WhiteoutKind {
  if (!basename.startsWith(WHITEOUT_PREFIX)) return null;
  if (basename === OPAQUE_MARKER) return { kind: 'opaque' };
  if (basename.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'meta' };
  const name = basename.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return null;
  return { kind: 'whiteout', name };
}
