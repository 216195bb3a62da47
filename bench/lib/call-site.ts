/** How the bench's profile readers name a function: `name path:line`, the path from the build or package root. */
export function callSite(frame: { functionName: string; url: string; lineNumber: number }): string {
  const where = frame.url.replace(/^.*\/(bench-build|node_modules)\//, "");
  return `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
}
