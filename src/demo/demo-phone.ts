import type { Browser } from 'puppeteer';
import { AppError, describeError } from '../common/errors';
import type { Simulator } from './simulator-mode';

type SimPhone = Awaited<ReturnType<Simulator['SimPhone']['attach']>>;

/** The person at the simulated phone chats with the bot as this number. */
export const DEMO_CONTACT = '15550002222';
/** The simulated account the phone links. */
export const DEMO_ACCOUNT = { user: '15550001111', pushname: 'Demo Phone' } as const;
const MAX_MESSAGES = 200;

export interface DemoMessage {
  readonly id: string;
  readonly from: 'you' | 'bot';
  readonly text: string;
  /** Unix ms. */
  readonly at: number;
}

/** What the phone page shows. */
export interface DemoPhoneView {
  /** The simulated WhatsApp Web is loaded and answers. */
  readonly reachable: boolean;
  readonly paired: boolean;
  readonly socketState: string | null;
  /** What the daemon shows to pair with right now, as the page has it. */
  readonly waitingFor: 'qr' | 'code' | null;
  readonly account: { readonly number: string; readonly name: string } | null;
  readonly contact: string;
  readonly messages: readonly DemoMessage[];
}

/**
 * The phone of the demo: it drives the simulated WhatsApp Web inside the daemon's own browser,
 * through the daemon's own DevTools pipe (no port that another local user could reach), and
 * keeps the conversation with the bot, since the page forgets its outbox when it reloads.
 */
export class DemoPhone {
  private phone: SimPhone | null = null;
  private readonly conversation: DemoMessage[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly simulator: Simulator,
    /** The browser of the client in service, when there is one. */
    private readonly browser: () => Browser | null,
  ) {}

  async view(): Promise<DemoPhoneView> {
    try {
      const [state, outbox] = await this.use(async (phone) => [await phone.state(), await phone.outbox()] as const, 3_000);
      for (const sent of outbox) {
        if (sent.to !== `${DEMO_CONTACT}@c.us` || this.seen.has(sent.id) || this.olderThanKept(sent.at)) continue;
        this.remember({ id: sent.id, from: 'bot', text: sent.body, at: sent.at });
      }
      const waitingFor = state.paired ? null : state.pairingType === 'ALT_DEVICE_LINKING' ? 'code' : state.qrRef !== null ? 'qr' : null;
      return {
        reachable: true,
        paired: state.paired,
        socketState: state.socketState,
        waitingFor,
        account: state.me === null ? null : { number: state.me.user, name: state.me.pushname },
        contact: DEMO_CONTACT,
        messages: [...this.conversation],
      };
    } catch {
      return {
        reachable: false,
        paired: false,
        socketState: null,
        waitingFor: null,
        account: null,
        contact: DEMO_CONTACT,
        messages: [...this.conversation],
      };
    }
  }

  /** The phone scans the QR on the daemon's screen. */
  async scan(): Promise<void> {
    await this.act('scan the QR', (phone) => phone.scan({ ...DEMO_ACCOUNT }));
  }

  /** The phone's owner types the pairing code the daemon shows. */
  async enterCode(code: string): Promise<void> {
    await this.act('enter the code', (phone) => phone.enterCode(code, { pushname: DEMO_ACCOUNT.pushname }));
  }

  /** A message from the demo contact to the bot's account. */
  async send(text: string): Promise<void> {
    const sent = await this.act('send the message', (phone) => phone.incoming({ from: DEMO_CONTACT, body: text, notifyName: 'You' }));
    this.remember({ id: sent.id, from: 'you', text, at: Date.now() });
  }

  /** The phone unlinks the device (WhatsApp > Linked devices > Log out). */
  async logout(): Promise<void> {
    await this.act('unlink the device', (phone) => phone.remoteLogout('logout_from_bridge'));
    // The page reloads and LocalAuth's profile goes: the next call attaches afresh.
    await this.forget();
  }

  /** WhatsApp drops the connection: the daemon reconnects with its saved session. */
  async dropConnection(): Promise<void> {
    await this.act('drop the connection', (phone) => phone.setSocketState('UNPAIRED'));
    await this.forget();
  }

  async close(): Promise<void> {
    await this.forget();
  }

  /** The conversation is full and this is older than all of it: it was shown, and dropped. */
  private olderThanKept(at: number): boolean {
    return this.conversation.length >= MAX_MESSAGES && at < (this.conversation[0]?.at ?? 0);
  }

  /** Keeps the last MAX_MESSAGES; `seen` holds only their ids, so neither grows with the demo's age. */
  private remember(message: DemoMessage): void {
    this.seen.add(message.id);
    this.conversation.push(message);
    this.conversation.sort((a, b) => a.at - b.at);
    if (this.conversation.length <= MAX_MESSAGES) return;
    for (const dropped of this.conversation.splice(0, this.conversation.length - MAX_MESSAGES)) this.seen.delete(dropped.id);
  }

  private async act<T>(what: string, action: (phone: SimPhone) => Promise<T>): Promise<T> {
    try {
      return await this.use(action, 10_000);
    } catch (error) {
      throw new AppError(
        'NOT_READY',
        `The simulated phone could not ${what}: ${describeError(error).split('\n')[0]}. To resolve, wait until /qr shows what it asks for, then try again.`,
      );
    }
  }

  /** Runs `action` on an attached phone; a browser that was replaced meanwhile is attached again once. */
  private async use<T>(action: (phone: SimPhone) => Promise<T>, timeoutMs: number): Promise<T> {
    try {
      return await action(await this.attach(timeoutMs));
    } catch (error) {
      await this.forget();
      if (!/detached|closed|disconnected|Target|Session|no sim page|not found|no browser/i.test(describeError(error))) throw error;
      return action(await this.attach(timeoutMs));
    }
  }

  private async attach(timeoutMs: number): Promise<SimPhone> {
    const browser = this.browser();
    if (this.phone?.connected && this.phone.browser === browser) return this.phone;
    await this.forget();
    if (browser === null) throw new Error('no browser: WhatsApp Web is not running right now');
    this.phone = await this.simulator.SimPhone.onBrowser(browser, { timeoutMs, callTimeoutMs: timeoutMs });
    return this.phone;
  }

  private async forget(): Promise<void> {
    const phone = this.phone;
    this.phone = null;
    await phone?.detach().catch(() => undefined);
  }
}
