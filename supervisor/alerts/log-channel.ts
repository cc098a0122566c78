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
      {
        ...fields,
        isRepeat: event.isRepeat,
        suppressed: alert.suppressedCount,
        refired: alert.refiredCount,
      },
      `alert: ${alert.message}`,
    );
  } else {
    // The message words the reading that cleared it; a value the rule could not judge anew (too
    // few requests) is still the one that fired, and is left out.
    const { value, ...cleared } = fields;
    logger.info(value < alert.threshold ? fields : cleared, `alert resolved: ${alert.message}`);
  }
}
