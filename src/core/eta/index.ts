import { AdaptiveEstimator } from './AdaptiveEstimator.js';
import { ExponentialEstimator } from './ExponentialEstimator.js';
import { LinearEstimator } from './LinearEstimator.js';
import type { EtaEstimator, EtaMethod } from './types.js';

export type { EtaEstimate, EtaEstimator, EtaEstimateFactors, EtaMethod } from './types.js';
export { AdaptiveEstimator, ExponentialEstimator, LinearEstimator };

export function createEstimator(method: EtaMethod): EtaEstimator {
  switch (method) {
    case 'linear':
      return new LinearEstimator();
    case 'exponential':
      return new ExponentialEstimator();
    case 'adaptive':
      return new AdaptiveEstimator();
  }
}
