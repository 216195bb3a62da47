import { MemoryBackend } from "../../src/store/memory/index.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { describeStoreConformance } from "./conformance.js";

describeStoreConformance("memory", async () => ({ store: new ProtocolStore(new MemoryBackend()) }));
