import { z } from 'zod';
import type { ActorRecord } from './actor';
import { ChiefExecutive, type ChiefExecutiveRecipient, councilName, Director, type DirectorRecipient } from './letter-schema';

/** One change to a council's entry: who made it and when. */
export interface CouncilChange {
  at: string;
  by: ActorRecord;
  version: number;
  /** The top-level fields it changed; every field when the entry was added. */
  fields: string[];
}

/**
 * A council in the directory: where its letters go. The director is the addressee; the chief
 * executive receives a copy. The DfE copy comes from configuration, not from here.
 */
export interface CouncilEntry {
  code: string;
  name: string;
  director: DirectorRecipient;
  chiefExecutive: ChiefExecutiveRecipient;
  version: number;
  updatedAt: string;
  updatedBy: ActorRecord;
  /** Every change, oldest first. */
  changes: CouncilChange[];
}

/** The body of `PUT /api/councils/{code}`. */
export const CouncilInput = z
  .strictObject({ name: councilName, director: Director, chiefExecutive: ChiefExecutive })
  .openapi('CouncilInput');
export type CouncilInput = z.infer<typeof CouncilInput>;

export interface CouncilPage {
  items: CouncilEntry[];
  nextCursor?: string;
}

/**
 * The council directory (a port). Each write is one conditional write on the entry: adding one
 * needs that it does not exist, changing one that it is still at the version the editor read.
 * Both throw ConditionNotMetError when the entry is not as expected.
 */
export interface CouncilDirectory {
  get(code: string): Promise<CouncilEntry | undefined>;
  list(query: { limit: number; cursor?: string }): Promise<CouncilPage>;
  add(entry: CouncilEntry): Promise<void>;
  replace(entry: CouncilEntry, expectedVersion: number, change: CouncilChange): Promise<CouncilEntry>;
}
