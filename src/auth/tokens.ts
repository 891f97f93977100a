import { errors, jwtVerify, SignJWT } from 'jose';
import { FmcError } from '../errors.js';
import type { TokenSubject } from '../store/users.js';

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: string;
}

export interface TokenService {
  issue(user: TokenSubject): Promise<IssuedToken>;
  /** The account the token was issued to; FMC_ERR_UNAUTHORIZED when invalid or expired. */
  verify(token: string): Promise<TokenSubject>;
}

const ISSUER = 'fmc';
const AUDIENCE = 'fmc-api';

export interface TokenOptions {
  readonly secret: string;
  readonly ttlSeconds: number;
  /** Seconds since the epoch; injectable so expiry can be tested without waiting. */
  readonly now?: () => number;
}

/**
 * Short-lived HS256 access tokens. The token carries only the user id and the account's
 * session key (ids are reused after a removal; keys never are): the role is read
 * from the database on every request, so a removed user or a changed role takes effect at
 * once instead of when the token expires.
 */
export function createTokenService(options: TokenOptions): TokenService {
  const key = new TextEncoder().encode(options.secret);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    async issue(user) {
      const iat = now();
      const exp = iat + options.ttlSeconds;
      const token = await new SignJWT({ sk: user.sessionKey })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(user.id))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000).toISOString() };
    },
    async verify(token) {
      try {
        // `algorithms` pinned: a token claiming `none` or another algorithm is refused.
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(now() * 1000) });
        const id = Number(payload.sub);
        if (!Number.isSafeInteger(id) || typeof payload.sk !== 'string') throw new FmcError('FMC_ERR_UNAUTHORIZED', 'token has no valid subject; log in again');
        return { id, sessionKey: payload.sk };
      } catch (err) {
        if (err instanceof FmcError) throw err;
        if (err instanceof errors.JWTExpired) throw new FmcError('FMC_ERR_UNAUTHORIZED', 'token expired; log in again (POST /api/auth/login)');
        throw new FmcError('FMC_ERR_UNAUTHORIZED', 'invalid token; log in again (POST /api/auth/login)');
      }
    },
  };
}
