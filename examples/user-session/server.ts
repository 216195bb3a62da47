/**
 * The session's HTTP API:
 *   POST /sessions/:user                 log in (starts the session workflow)
 *   POST /sessions/:user/activities      { "kind": "view" } — one activity
 *   GET  /sessions/:user                 state, summary once ended, and the activity log
 */
import { checkName, HttpError, serve, type Route, type RunningServer } from "../shared/http.js";
import { SessionEnded, SessionNotFound, type SessionService } from "./session-service.js";

export function serveSessions(sessions: SessionService, port: number): Promise<RunningServer> {
  const routes: Route[] = [
    {
      method: "POST",
      path: "/sessions/:user",
      handle: async ({ params }) => {
        const user = checkName(params.user, "user");
        await answer(() => sessions.start(user));
        return { status: 202, body: { user, state: "active" } };
      },
    },
    {
      method: "POST",
      path: "/sessions/:user/activities",
      handle: async ({ params, body }) => {
        const user = checkName(params.user, "user");
        const kind = (body as { kind?: unknown }).kind;
        if (typeof kind !== "string" || kind === "") throw new HttpError(400, 'kind: expected a non-empty string, e.g. { "kind": "view" }');
        const n = await answer(() => sessions.sendActivity(user, kind));
        return { status: 202, body: { user, activity: n } };
      },
    },
    {
      method: "GET",
      path: "/sessions/:user",
      handle: async ({ params }) => ({ body: await answer(() => sessions.view(checkName(params.user, "user"))) }),
    },
  ];
  return serve(routes, port);
}

/** The service's errors as HTTP statuses. */
async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SessionNotFound) throw new HttpError(404, error.message);
    if (error instanceof SessionEnded) throw new HttpError(409, error.message);
    throw error;
  }
}
