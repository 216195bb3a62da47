/** The page: a header with the sections, the current route, and the token prompt when needed. */
import { useEffect, useState } from "preact/hooks";
import { onAuthRequired } from "../api.js";
import { useRoute, type Route } from "../route.js";
import { ExecutionPage } from "./ExecutionPage.js";
import { ExecutionsPage } from "./ExecutionsPage.js";
import { SchedulesPage } from "./SchedulesPage.js";
import { TokenPrompt } from "./TokenPrompt.js";
import { WorkersPage } from "./WorkersPage.js";

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<{ refused: boolean } | undefined>(undefined);
  useEffect(() => onAuthRequired((refused) => setAuth({ refused })), []);

  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/executions">
          Reprise
        </a>
        <nav>
          <a href="#/executions" class={route.page.startsWith("execution") ? "active" : ""}>
            Executions
          </a>
          <a href="#/schedules" class={route.page === "schedules" ? "active" : ""}>
            Schedules
          </a>
          <a href="#/workers" class={route.page === "workers" ? "active" : ""}>
            Workers
          </a>
        </nav>
      </header>
      <main>
        <Page route={route} />
      </main>
      {auth && <TokenPrompt refused={auth.refused} onSaved={() => setAuth(undefined)} />}
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "executions":
      return <ExecutionsPage query={route.query} />;
    case "execution":
      return <ExecutionPage id={route.id} />;
    case "schedules":
      return <SchedulesPage />;
    case "workers":
      return <WorkersPage />;
  }
}
