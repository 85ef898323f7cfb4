import { ProtoWriter } from './ProtoWriter.js';
import { type ResourceLike, type ScopeLike, writeResource, writeScope } from './otlpCommon.js';
import type { RequestBuilder } from './RequestBuilder.js';

/** The records of one resource and scope, encoded one after another (each as field 2 of Scope{Spans,Logs}). */
interface Group {
  readonly resource: ResourceLike;
  readonly scope: ScopeLike;
  readonly writer: ProtoWriter;
}

/** Writers kept for the next request once their group is taken: a provider has a few scopes. */
const SPARE_WRITERS = 8;
/**
 * A new group's first buffer; it doubles as records come. Small, because a request may have as
 * many groups as records (an app that makes a tracer per task): 2,048 of them hold 2 MiB.
 */
const GROUP_WRITER_BYTES = 1024;

const scopeKeys = new WeakMap<object, string>();

/** Name, version and schema URL: what tells scopes apart (each scope object's key made once, not per record). */
function scopeKey(scope: ScopeLike): string {
  let key = scopeKeys.get(scope);
  if (key === undefined) {
    key = `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
    scopeKeys.set(scope, key);
  }
  return key;
}

/**
 * An ExportTraceServiceRequest or ExportLogsServiceRequest encoded record by
 * record as they arrive: `1: repeated Resource{Spans,Logs} { 1 resource, 2
 * repeated Scope{Spans,Logs} { 1 scope, 2 repeated record, 3 schema_url }, 3
 * schema_url }`, the same shape in both signals. Records are grouped by
 * resource, then scope, in first-seen order, as the maintained serializers
 * group them.
 *
 * Encoding at arrival spreads the work evenly over the caller's turns, and a
 * batch waiting in memory is bytes outside the JavaScript heap: the SDK's
 * objects die young, where holding 2,048 of them until the batch is full had
 * every young-generation collection copy them (3-20 ms pauses).
 */
export class ProtobufRequestBuilder<T extends { readonly resource: ResourceLike; readonly instrumentationScope: ScopeLike }> implements RequestBuilder<T> {
  records = 0;
  bytes = 0;
  private groups = new Map<object, Map<string, Group>>();
  /** The group of the last record: consecutive records almost always share it. */
  private last: { resource: object; scope: object; group: Group } | undefined;
  private readonly spare: ProtoWriter[] = [];
  private readonly out = new ProtoWriter(256 * 1024);

  constructor(
    /** Writes one record as field 2 of its Scope{Spans,Logs}. */
    private readonly writeRecord: (w: ProtoWriter, item: T) => void,
  ) {}

  add(item: T): boolean {
    const group = this.groupOf(item.resource, item.instrumentationScope);
    const w = group.writer;
    const start = w.pos;
    try {
      this.writeRecord(w, item);
    } catch {
      w.rewind(start);
      return false;
    }
    this.records++;
    this.bytes += w.pos - start;
    return true;
  }

  take(): Uint8Array {
    const out = this.out;
    out.reset();
    for (const byScope of this.groups.values()) {
      let resource: ResourceLike | undefined;
      for (const group of byScope.values()) {
        if (group.writer.pos === 0) continue;
        if (!resource) {
          resource = group.resource;
          out.begin(1, 3);
          writeResource(out, resource);
        }
        out.begin(2, 3);
        writeScope(out, group.scope);
        out.raw(group.writer.buf.subarray(0, group.writer.pos));
        out.stringField(3, group.scope.schemaUrl);
        out.end();
      }
      if (!resource) continue;
      out.stringField(3, resource.schemaUrl);
      out.end();
    }
    for (const byScope of this.groups.values())
      for (const group of byScope.values()) {
        group.writer.reset();
        if (this.spare.length < SPARE_WRITERS) this.spare.push(group.writer);
      }
    this.groups = new Map();
    this.last = undefined;
    this.records = 0;
    this.bytes = 0;
    return out.finish();
  }

  private groupOf(resource: ResourceLike, scope: ScopeLike): Group {
    const last = this.last;
    if (last !== undefined && last.resource === resource && last.scope === scope) return last.group;
    let byScope = this.groups.get(resource);
    if (!byScope) {
      byScope = new Map();
      this.groups.set(resource, byScope);
    }
    const key = scopeKey(scope);
    let group = byScope.get(key);
    if (!group) {
      group = { resource, scope, writer: this.spare.pop() ?? new ProtoWriter(GROUP_WRITER_BYTES) };
      byScope.set(key, group);
    }
    this.last = { resource, scope, group };
    return group;
  }
}
