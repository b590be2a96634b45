import { runFlagStoreContract } from './flag-store-contract.js';
import { MemoryFlagStore } from './flag-store-memory.js';

runFlagStoreContract('memory', () => new MemoryFlagStore());
