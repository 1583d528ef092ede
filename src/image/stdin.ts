/** SOURCE "-": the archive comes on stdin (its own module: the CLI's entry and the importer both name it, and neither may load the other). */
export const STDIN = '-';
