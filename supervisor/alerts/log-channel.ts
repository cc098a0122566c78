import type { Logger } from '../shared/logger.ts';
import type { AlertEvent } from './engine.ts';

/** The log channel of the alerts: a warning when one fires (or reminds), a line when it resolves. */
export function logAlert(logger: Logger, event: AlertEvent): void {
  const { alert } = event;
  const fields = {
    alert: alert.key,
    rule: alert.rule,
    subject: alert.subject,
    value: alert.value,
    threshold: alert.threshold,
  };
  if (event.type === 'alert.fired') {
    logger.warn(
      { ...fields, isRepeat: event.isRepeat, suppressed: alert.suppressedCount },
      `alert: ${alert.message}`,
    );
  } else {
    logger.info(fields, `alert resolved: ${alert.message}`);
  }
}
