import { SeverityNumber } from '@opentelemetry/api-logs';
import type { LogRecordProcessor, ReadableLogRecord, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_BATCH_EVENT_PRIORITY } from '../../semconv.js';
import type { DurableBatchProcessor } from './DurableBatchProcessor.js';

/** Errors and events marked high priority are sent within the priority delay. */
export const isPriorityLogRecord = (record: ReadableLogRecord): boolean =>
  (record.severityNumber ?? 0) >= SeverityNumber.ERROR || record.attributes[ATTR_BATCH_EVENT_PRIORITY] === 'high';

/** A log record processor that batches records into durable delivery (see DurableBatchProcessor). */
export class DurableLogRecordProcessor implements LogRecordProcessor {
  constructor(private readonly batch: DurableBatchProcessor<ReadableLogRecord>) {}

  onEmit(record: SdkLogRecord): void {
    this.batch.add(record);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
