/**
 * The OTLP common and resource messages (opentelemetry-proto common/v1,
 * resource/v1) written straight from the SDK's objects, shared by the span
 * and log record encoders. Values map as the maintained OTLP exporters map
 * them: integers to int_value, other numbers to double_value, lists, maps and
 * bytes as themselves.
 */
import { ProtoWriter } from './ProtoWriter.js';

/** Attributes of one message, each a KeyValue (`field`: the message's attributes field). */
export function writeAttributes(w: ProtoWriter, field: number, attributes: Readonly<Record<string, unknown>> | undefined): void {
  for (const key in attributes) {
    w.begin(field);
    w.tag(1, 2);
    w.string(key);
    writeAnyValue(w, 2, attributes[key], 0);
    w.end();
  }
}

/** AnyValue: 1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes; anything else (null, undefined) an empty value. */
export function writeAnyValue(w: ProtoWriter, field: number, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
      w.begin(field, value.length < 120 ? 1 : 2);
      w.tag(1, 2);
      w.string(value);
      break;
    case 'number':
      w.begin(field);
      if (Number.isInteger(value)) {
        w.tag(3, 0);
        w.int64(value);
      } else {
        w.tag(4, 1);
        w.double(value);
      }
      break;
    case 'boolean':
      w.begin(field);
      w.tag(2, 0);
      w.uint32(value ? 1 : 0);
      break;
    case 'object':
      w.begin(field, 2);
      // Deeper than the redactor walks, a value has already been masked whole: the limit only stops a cycle.
      if (value === null || depth > 16) break;
      if (value instanceof Uint8Array) {
        w.tag(7, 2);
        w.bytes(value);
      } else if (Array.isArray(value)) {
        w.begin(5, 2);
        for (const item of value) writeAnyValue(w, 1, item, depth + 1);
        w.end();
      } else {
        w.begin(6, 2);
        const map = value as Record<string, unknown>;
        for (const key of Object.keys(map)) {
          w.begin(1);
          w.tag(1, 2);
          w.string(key);
          writeAnyValue(w, 2, map[key], depth + 1);
          w.end();
        }
        w.end();
      }
      break;
    default:
      w.begin(field);
  }
  w.end();
}

export interface ResourceLike {
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly schemaUrl?: string;
}

export interface ScopeLike {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly droppedAttributesCount?: number;
}

/** A resource and a scope are the same object for every record of a provider: each is encoded once. */
const resources = new WeakMap<object, Uint8Array>();
const scopes = new WeakMap<object, Uint8Array>();
const scratch = new ProtoWriter(4096);

function cached(cache: WeakMap<object, Uint8Array>, key: object, write: (w: ProtoWriter) => void): Uint8Array {
  let bytes = cache.get(key);
  if (!bytes) {
    scratch.reset();
    write(scratch);
    bytes = scratch.finish();
    cache.set(key, bytes);
  }
  return bytes;
}

/** Resource (field 1 of Resource{Spans,Logs}): 1 attributes, 2 dropped_attributes_count. */
export function writeResource(w: ProtoWriter, resource: ResourceLike): void {
  w.raw(
    cached(resources, resource, (s) => {
      s.begin(1, 3);
      writeAttributes(s, 1, resource.attributes);
      s.end();
    }),
  );
}

/** InstrumentationScope (field 1 of Scope{Spans,Logs}): 1 name, 2 version, 3 attributes, 4 dropped_attributes_count. */
export function writeScope(w: ProtoWriter, scope: ScopeLike): void {
  w.raw(
    cached(scopes, scope, (s) => {
      s.begin(1, 2);
      s.tag(1, 2);
      s.string(scope.name);
      s.stringField(2, scope.version);
      writeAttributes(s, 3, scope.attributes);
      s.varintField(4, scope.droppedAttributesCount);
      s.end();
    }),
  );
}
