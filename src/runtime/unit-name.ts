/**
 * The scope unit of a container. Machine names are hostname-like (letters,
 * digits, '-', '.'), all valid in unit names as they are, so no escaping is
 * needed; the prefix keeps our scopes apart from nspawn's machine-*.scope.
 */
export function unitNameFor(name: string): string {
  return `tsmachine-${name}.scope`;
}
