/**
 * Who did something, as every record of it stores it: the token's subject id, which four eyes
 * and ownership compare, and the display name people read.
 */
export interface ActorRecord {
  sub: string;
  name: string;
}

/** The service itself: the stages behind the queues and the directory's seed. */
export const SYSTEM: ActorRecord = { sub: 'system', name: 'The service' };

/** The mail service, reporting what became of a message. */
export const MAIL_SERVICE: ActorRecord = { sub: 'system:mail', name: 'The mail service' };

export const actorRecord = (actor: ActorRecord): ActorRecord => ({ sub: actor.sub, name: actor.name });
