import { diag } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';

/** The samplers OTEL_TRACES_SAMPLER names that need nothing outside the process. */
const SAMPLERS: Readonly<Record<string, (ratio: number) => Sampler>> = {
  always_on: () => new AlwaysOnSampler(),
  always_off: () => new AlwaysOffSampler(),
  traceidratio: (ratio) => new TraceIdRatioBasedSampler(ratio),
  parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  parentbased_traceidratio: (ratio) => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
};

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, as the SDK
 * specification defines them: `parentbased_always_on` when unset; the ratio
 * defaults to 1 and must be in [0, 1]. Samplers that need a remote service
 * (jaeger_remote, xray) are not built in: the default is used, and it says so.
 */
export function samplerFromEnv(name: string | undefined, arg: number | undefined): Sampler {
  const validArg = arg === undefined || (arg >= 0 && arg <= 1);
  if (!validArg) diag.warn(`batchtel: OTEL_TRACES_SAMPLER_ARG must be a ratio in [0, 1], got ${arg}; using 1`);
  const ratio = validArg && arg !== undefined ? arg : 1;
  const make = SAMPLERS[(name ?? 'parentbased_always_on').toLowerCase()];
  if (make) return make(ratio);
  diag.warn(`batchtel: OTEL_TRACES_SAMPLER=${name} is not supported here (${Object.keys(SAMPLERS).join(', ')}); using parentbased_always_on`);
  return SAMPLERS['parentbased_always_on']!(1);
}
