import { MemoryBackend } from "../../src/store/memory/index.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { describeStoreConformance } from "./conformance.js";

describeStoreConformance("memory", async (wrap = (backend) => backend) => ({ store: new ProtocolStore(wrap(new MemoryBackend())) }));
