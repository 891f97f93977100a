import { randomBytes } from 'node:crypto';
import { FmcError } from '../errors.js';

export const ROLES = ['admin', 'agent', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  /** What customers are shown instead of the login (agents, admins); absent when none is set. */
  readonly displayName?: string;
}

/** Agents and admins: they see triage, labels and staff logins; customers do not. */
export const isStaff = (user: Pick<User, 'role'>): boolean => user.role === 'agent' || user.role === 'admin';

export interface UserRecord extends User {
  readonly passwordHash: string;
  /** Random per account, carried by its tokens: ids are reused after a removal, keys are not. */
  readonly sessionKey: string;
  /** Disabled by an admin: cannot log in; its tokens and sessions stopped working when it was. */
  readonly disabled: boolean;
}

/** An account as the admin page lists it. */
export interface Account extends User {
  readonly disabled: boolean;
}

/** What a token names: the account's id and its session key. */
export interface TokenSubject {
  readonly id: number;
  readonly sessionKey: string;
}

// The users seam: one interface, two backends (sqlite/users.ts: the data dir's SQLite file, one
// server per data dir; pg/users.ts: PostgreSQL, shared by every `fmc serve` on the database).
// Async because the PostgreSQL one is.
export interface UserStore {
  /** Throws FMC_ERR_USER_EXISTS when the name is taken (names are case-insensitive). */
  add(user: { username: string; role: Role; passwordHash: string }): Promise<UserRecord>;
  byName(username: string): Promise<UserRecord | undefined>;
  /** An active (not disabled) account. */
  byId(id: number): Promise<User | undefined>;
  /** The account a token names, if it still exists and is not disabled: same id and same session key. */
  byToken(subject: TokenSubject): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** Every account with its disabled flag (the admin page). */
  accounts(): Promise<Account[]>;
  /**
   * Disables or enables an account; disabling also changes its session key, so its tokens
   * and refresh sessions stop at once. The state before, or undefined when no such user.
   */
  setDisabled(username: string, disabled: boolean): Promise<boolean | undefined>;
  /** Whether a user was removed (a customer's conversations go with them). */
  remove(username: string): Promise<boolean>;
  /** Replaces the password hash and the session key (so every token issued before stops working); false when no such user. */
  setPassword(username: string, passwordHash: string): Promise<boolean>;
  /** Changes the role (read on every request, so it applies at once); the role before, or undefined when no such user. */
  setRole(username: string, role: Role): Promise<Role | undefined>;
  /** Sets (or, with null, clears) the name customers are shown; false when no such user. */
  setDisplayName(username: string, displayName: string | null): Promise<boolean>;
  /** How many conversations the user owns as a customer: removing the user deletes them. */
  conversationCount(username: string): Promise<number>;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Lower-cased and checked: 2-32 characters, letters, digits, `.`, `_`, `-`. */
export function normalizeUsername(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!USERNAME.test(name)) {
    throw new FmcError('FMC_ERR_BAD_USER', `user name ${JSON.stringify(raw)}: use 2-32 characters: letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

/** 1-64 characters once trimmed, no control characters: it is shown as text, never as markup. */
export function normalizeDisplayName(raw: string): string {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0 || name.length > 64 || /\p{Cc}/u.test(name)) {
    throw new FmcError('FMC_ERR_BAD_USER', `display name ${JSON.stringify(raw)}: use 1-64 characters, no control characters`);
  }
  return name;
}


/** Throws FMC_ERR_BAD_USER unless `role` is one of ROLES (a caller that skipped the type). */
export function checkRole(role: string): Role {
  if (!isRole(role)) throw new FmcError('FMC_ERR_BAD_USER', `role ${JSON.stringify(role)}: choose one of ${ROLES.join(', ')}`);
  return role;
}

/** How a name given to a lookup is matched: trimmed, case-insensitive (no validation: unknown is just absent). */
export const lookupName = (raw: string): string => raw.trim().toLowerCase();

/** A fresh session key: a new account, a new password, a disable. */
export const newSessionKey = (): string => randomBytes(16).toString('hex');

export const userExists = (name: string): FmcError =>
  new FmcError('FMC_ERR_USER_EXISTS', `user ${name} already exists; pick another name or remove it first`);
