import { runRouterContract } from './contract.js';
import { NoopRouter } from './noop.js';

runRouterContract('noop', () => new NoopRouter());
