import { runTokenStoreContract } from './token-store-contract.js';
import { MemoryTokenStore } from './token-store-memory.js';

runTokenStoreContract('memory', () => new MemoryTokenStore());
