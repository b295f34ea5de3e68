import type { SNSEvent } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import { type AddressObject, simpleParser } from 'mailparser';

/** The SES mailbox simulator's addresses, and what AWS reports for mail sent to each. */
const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

/** One message the local SES accepted: the local stack's outbox, with the latest event about it. */
export interface OutboxEntry {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** Seconds since the epoch, as the mail emulator stamps it. */
  at: number;
  attachments: { filename: string | null; contentType: string; size: number; sha256: string }[];
  /** The message's tags, as SES echoes them in events. */
  tags: Record<string, string>;
  /** The latest event delivered about the message: Delivery, Bounce or Complaint, and when. */
  event: { type: string; at: string } | null;
}

interface OwedEvent {
  /** SES's event as published: the body of the SNS notification. */
  message: Record<string, unknown>;
  due: number;
}

type Line =
  | { kind: 'message'; entry: Omit<OutboxEntry, 'event'>; events: OwedEvent[] }
  | { kind: 'delivered'; messageId: string; index: number; type: string; at: string };

export interface LocalMailboxOptions {
  dataDir: string;
  /** aws-ses-v2-local, which checks and takes the messages. */
  sesUrl: string;
  /** How long after a message is accepted its events come, as with SES's own short delay. */
  delayMs: number;
  /** The events handler the Lambda uses, given the SNS notification SES would publish. */
  deliver(event: SNSEvent): Promise<void>;
  log(message: string, detail: Record<string, unknown>): void;
  /** The message as the emulator parsed it when it accepted it, where the emulator shares its store; else it is parsed here. */
  accepted?(messageId: string): AcceptedMessage | undefined;
}

/** A message as the SES emulator keeps it. */
export interface AcceptedMessage {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  attachments: { filename?: string | null; contentType: string; size: number; content: Buffer }[];
}

/**
 * The local SES as the stack sees it: a relay in front of aws-ses-v2-local that keeps what it
 * accepted, and the events still owed for it, in a file under DATA_DIR (appended before the sender
 * hears back), and plays the part of SES's event publishing: each accepted message gets, after a
 * short delay, the SNS-shaped events AWS sends, through the same events handler the Lambda uses.
 * Mail to the mailbox simulator's addresses gets what SES gives them: `bounce@` a permanent
 * bounce, `complaint@` a delivery then a complaint, `success@`, `ooto@` and any other address a
 * delivery. A stack killed mid-flight and started again forgets neither the messages nor the
 * events it owes.
 */
export class LocalMailbox {
  private readonly messages = new Map<string, OutboxEntry>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new Agent({ keepAlive: true });
  private stopped = false;

  private constructor(
    private readonly options: LocalMailboxOptions,
    private readonly file: string,
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async open(options: LocalMailboxOptions): Promise<LocalMailbox> {
    const dir = join(options.dataDir, 'ses');
    mkdirSync(dir, { recursive: true });
    let mailbox: LocalMailbox | undefined;
    const server = createServer((req, res) => {
      mailbox!.relay(req, res).catch((error) => {
        options.log('local SES relay failed', { error: String(error) });
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/xml' });
        res.end('<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>');
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mailbox = new LocalMailbox(options, join(dir, 'outbox.jsonl'), server, url);
    mailbox.load();
    return mailbox;
  }

  /** Every message accepted, oldest first. */
  outbox(): OutboxEntry[] {
    return [...this.messages.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
    this.agent.destroy();
  }

  /** Reads the file back: the messages, and the events owed for them that were never delivered. */
  private load() {
    if (!existsSync(this.file)) return;
    const owed = new Map<string, OwedEvent[]>();
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text.trim()) continue;
      let line: Line;
      try {
        line = JSON.parse(text);
      } catch {
        continue; // a line cut short by a kill: its message was never acknowledged to the sender
      }
      if (line.kind === 'message') {
        this.messages.set(line.entry.messageId, { ...line.entry, event: null });
        owed.set(line.entry.messageId, line.events);
      } else {
        const entry = this.messages.get(line.messageId);
        if (entry) entry.event = { type: line.type, at: line.at };
        const events = owed.get(line.messageId);
        if (events) events[line.index] = undefined as never;
      }
    }
    for (const [messageId, events] of owed) {
      events.forEach((event, index) => event && this.schedule(messageId, index, event));
    }
  }

  private append(line: Line) {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /**
   * Passes every request to the emulator as it comes, keeping a copy of the body; a message it
   * accepts is kept, and its events scheduled, before the sender hears back. Other answers (the
   * emulator's `GET /store`, its errors) flow back untouched.
   */
  private async relay(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    const { host: _host, connection: _connection, expect: _expect, ...headers } = req.headers;
    const forward = request(`${this.options.sesUrl}${req.url ?? '/'}`, { method: req.method, headers, agent: this.agent });
    const answered = new Promise<IncomingMessage>((ok, fail) => {
      forward.once('response', ok);
      forward.once('error', fail);
    });
    req.pipe(forward);
    // A sender that goes away mid-request takes the forwarded request down with it.
    req.once('close', () => req.complete || forward.destroy());
    const response = await answered;
    const status = response.statusCode ?? 502;
    const contentType = response.headers['content-type'] ?? 'text/xml';
    if (req.method !== 'POST' || status !== 200) {
      res.writeHead(status, { 'Content-Type': contentType });
      await pipeline(response, res);
      return;
    }
    const answer: Buffer[] = [];
    for await (const chunk of response) answer.push(chunk as Buffer);
    const text = Buffer.concat(answer).toString('utf8');
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
    if (messageId) {
      // The emulator has answered, so it read the whole body, which passed through here first.
      await finished(req);
      const form = formWithout(Buffer.concat(chunks), RAW_MESSAGE);
      if (form.fields.get('Action') === 'SendRawEmail') await this.accept(messageId, form.fields, form.omitted);
    }
    res.writeHead(status, { 'Content-Type': contentType });
    res.end(text);
  }

  private async accept(messageId: string, form: URLSearchParams, rawMessage: () => string) {
    const email = this.options.accepted?.(messageId) ?? (await parseMessage(rawMessage()));
    const tags: Record<string, string> = {};
    for (let n = 1; form.has(`Tags.member.${n}.Name`); n++) tags[form.get(`Tags.member.${n}.Name`)!] = form.get(`Tags.member.${n}.Value`) ?? '';
    const destinations: string[] = [];
    for (let n = 1; form.has(`Destinations.member.${n}`); n++) destinations.push(form.get(`Destinations.member.${n}`)!);
    const to = email.to;
    const entry: Omit<OutboxEntry, 'event'> = {
      messageId,
      from: email.from || (form.get('Source') ?? ''),
      to,
      cc: email.cc,
      subject: email.subject,
      at: Math.floor(Date.now() / 1000),
      attachments: email.attachments.map((a) => ({
        filename: a.filename ?? null,
        contentType: a.contentType,
        size: a.size,
        sha256: createHash('sha256').update(a.content).digest('hex'),
      })),
      tags,
    };
    const recipients = destinations.length ? destinations : to.map(bareAddress);
    const events = simulatedEvents(entry, recipients, Date.now(), this.options.delayMs, form.get('ConfigurationSetName') ?? undefined);
    this.append({ kind: 'message', entry, events });
    this.messages.set(messageId, { ...entry, event: null });
    events.forEach((event, index) => this.schedule(messageId, index, event));
  }

  private schedule(messageId: string, index: number, owed: OwedEvent, attempt = 0) {
    if (this.stopped) return;
    const wait = Math.max(0, owed.due - Date.now()) + (attempt ? Math.min(30_000, 250 * 2 ** attempt) : 0);
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      if (this.stopped) return;
      try {
        await this.options.deliver(snsNotification(owed.message));
        const type = String(owed.message.eventType);
        const at = eventTime(owed.message);
        this.append({ kind: 'delivered', messageId, index, type, at });
        const entry = this.messages.get(messageId);
        if (entry && (!entry.event || entry.event.at <= at)) entry.event = { type, at };
      } catch (error) {
        // As SNS does: the handler failed, so the notification is delivered again later.
        this.options.log('delivery event not handled; it will be sent again', { messageId, error: String(error) });
        this.schedule(messageId, index, owed, attempt + 1);
      }
    }, wait);
    this.timers.add(timer);
  }
}

/** The message as the sender built it (base64), parsed here when the emulator does not share what it parsed. */
async function parseMessage(rawMessage: string): Promise<AcceptedMessage> {
  const email = await simpleParser(Buffer.from(rawMessage, 'base64'));
  const addresses = (field: AddressObject | AddressObject[] | undefined) => (Array.isArray(field) ? field : field ? [field] : []).map((a) => a.text);
  return {
    from: email.from?.text ?? '',
    to: addresses(email.to),
    cc: addresses(email.cc),
    subject: email.subject ?? '(no subject)',
    attachments: email.attachments,
  };
}

/** The form field holding the whole message, base64, URL-encoded: most of a SendRawEmail's body. */
const RAW_MESSAGE = 'RawMessage.Data';

/**
 * A form-urlencoded body's fields but one, which is cut out as it is and decoded only if asked
 * for: the relay needs the tags, destinations and the like, not the message it passes on, which
 * the emulator has decoded already.
 */
export function formWithout(body: Buffer, name: string): { fields: URLSearchParams; omitted: () => string } {
  const key = Buffer.from(`${encodeURIComponent(name)}=`);
  let start = body.indexOf(key);
  while (start > 0 && body[start - 1] !== AMPERSAND) start = body.indexOf(key, start + 1);
  if (start < 0) {
    const fields = new URLSearchParams(body.toString('utf8'));
    return { fields, omitted: () => fields.get(name) ?? '' };
  }
  const end = body.indexOf(AMPERSAND, start);
  const rest = end < 0 ? body.subarray(0, Math.max(0, start - 1)) : Buffer.concat([body.subarray(0, start), body.subarray(end + 1)]);
  const pair = body.subarray(start, end < 0 ? body.length : end);
  return { fields: new URLSearchParams(rest.toString('utf8')), omitted: () => new URLSearchParams(pair.toString('utf8')).get(name) ?? '' };
}

const AMPERSAND = 0x26;

const bareAddress = (address: string) => /<([^>]+)>/.exec(address)?.[1] ?? address.trim();

function eventTime(message: Record<string, unknown>): string {
  const type = String(message.eventType).toLowerCase();
  return ((message[type] as { timestamp?: string } | undefined)?.timestamp ?? new Date().toISOString()) as string;
}

/** The events SES publishes for a message, as the mailbox simulator's addresses make them. */
function simulatedEvents(entry: Omit<OutboxEntry, 'event'>, recipients: string[], sentAt: number, delayMs: number, configurationSet?: string): OwedEvent[] {
  const mail = {
    timestamp: new Date(sentAt).toISOString(),
    source: entry.from,
    sourceArn: 'arn:aws:ses:eu-west-2:000000000000:identity/local',
    sendingAccountId: '000000000000',
    messageId: entry.messageId,
    destination: recipients,
    headersTruncated: false,
    commonHeaders: { from: [entry.from], to: entry.to, subject: entry.subject },
    tags: { ...sesMailTags(entry.tags), ...(configurationSet ? { 'ses:configuration-set': [configurationSet] } : {}) },
  };
  const at = (offset: number) => new Date(sentAt + delayMs + offset).toISOString();
  const events: OwedEvent[] = [];
  const add = (offset: number, message: Record<string, unknown>) => events.push({ due: sentAt + delayMs + offset, message: { mail, ...message } });
  for (const recipient of recipients) {
    const [local, domain] = recipient.toLowerCase().split('@');
    if (domain === SIMULATOR_DOMAIN && local.startsWith('bounce')) {
      add(0, {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
          timestamp: at(0),
          feedbackId: randomUUID(),
          reportingMTA: 'dsn; a1-1.smtp-out.eu-west-2.amazonses.com',
        },
      });
      continue;
    }
    add(0, {
      eventType: 'Delivery',
      delivery: { timestamp: at(0), processingTimeMillis: delayMs, recipients: [recipient], smtpResponse: '250 2.6.0 Message received', reportingMTA: 'a1-1.smtp-out.eu-west-2.amazonses.com' },
    });
    if (domain === SIMULATOR_DOMAIN && local.startsWith('complaint')) {
      add(50, {
        eventType: 'Complaint',
        complaint: { complainedRecipients: [{ emailAddress: recipient }], timestamp: at(50), feedbackId: randomUUID(), complaintFeedbackType: 'abuse' },
      });
    }
  }
  return events;
}

/** A message's tags as SES reports them in an event's `mail.tags`: each value in a list. */
export const sesMailTags = (tags: Record<string, string>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(tags).map(([name, value]) => [name, [value]]));

/** The notification SNS delivers to a subscribed Lambda, carrying one SES event. */
export function snsNotification(message: Record<string, unknown>): SNSEvent {
  const topic = 'arn:aws:sns:eu-west-2:000000000000:local-ses-events';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topic}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topic,
          Subject: '',
          Message: JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: 'https://sns.eu-west-2.amazonaws.com/local.pem',
          UnsubscribeUrl: 'https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}
