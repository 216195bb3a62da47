export * from "./records.js";
export * from "./requests.js";
export * from "./messages.js";
export * from "./tags.js";
