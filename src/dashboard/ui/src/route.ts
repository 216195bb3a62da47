/** Hash routes, so the server only serves one page: #/executions, #/executions/<id>, #/schedules, #/workers. */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "executions"; query: URLSearchParams }
  | { page: "execution"; id: string }
  | { page: "schedules" }
  | { page: "workers" };

export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "executions" && parts[1] !== undefined) return { page: "execution", id: decodeURIComponent(parts.slice(1).join("/")) };
  if (parts[0] === "schedules") return { page: "schedules" };
  if (parts[0] === "workers") return { page: "workers" };
  return { page: "executions", query: new URLSearchParams(search) };
}

export function executionHref(id: string): string {
  return `#/executions/${encodeURIComponent(id)}`;
}

export function executionsHref(query: URLSearchParams): string {
  const text = query.toString();
  return text ? `#/executions?${text}` : "#/executions";
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}
