/** The webhook events an application can subscribe to (WEBHOOK_EVENTS). */
export const WEBHOOK_EVENT_TYPES = ['message', 'message.status', 'session.status'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
