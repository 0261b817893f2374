/** How a phone code reaches the user: a text message, or a voice call that reads the text. */
export type PhoneChannel = 'sms' | 'voice';

export interface PhoneMessage {
  /** The number in Entra form, `+<country code> <national number>` (e.g. `+48 601234567`). */
  readonly to: string;
  readonly channel: PhoneChannel;
  /** What the text says, or what the call reads out. */
  readonly text: string;
  /** The one-time code inside `text`, for providers that format it themselves (e.g. spoken digit by digit). */
  readonly code?: string;
}

/**
 * Sends text messages and places voice calls (mobile phone: SMS or voice; office phone: voice).
 * Throws SsprError SMS_DELIVERY_FAILED when the provider refuses or is unreachable.
 */
export interface SmsSender {
  send(message: PhoneMessage): Promise<void>;
}
