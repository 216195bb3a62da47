/** Builds the dashboard page into ./dist, served by the server under /dashboard/. */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/dashboard/",
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Everything is bundled: the page must work on a machine with no internet.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
  logLevel: "warn",
});
